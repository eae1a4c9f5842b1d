import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BEARER, fixtureLines, ndjson, startTestServer, storedIds, TOKEN, type TestServer, idsIngestStores } from './helpers.js';

/**
 * Real shippers, as Debian packages them, sending the lines of a file to serve's `/_bulk`. Skipped
 * when the binary is absent: rsyslog from `apt-get install rsyslog rsyslog-elasticsearch`; syslog-ng
 * conflicts with rsyslog as a package, so it is unpacked with `dpkg -x` into SYSLOG_NG_ROOT (with
 * syslog-ng-core, syslog-ng-mod-http, syslog-ng-scl, libivykis0, libpcre3), or installed.
 */
const RSYSLOGD = '/usr/sbin/rsyslogd';
const RSYSLOG_MODULES = '/usr/lib/x86_64-linux-gnu/rsyslog';
const hasRsyslog = existsSync(RSYSLOGD) && existsSync(join(RSYSLOG_MODULES, 'omelasticsearch.so'));
const SYSLOG_NG_ROOT = process.env.SYSLOG_NG_ROOT ?? '/';
const SYSLOG_NG_VERSION = '3.38';
const syslogNg = {
  bin: join(SYSLOG_NG_ROOT, 'usr/sbin/syslog-ng'),
  modules: join(SYSLOG_NG_ROOT, 'usr/lib/syslog-ng', SYSLOG_NG_VERSION),
  // scl.conf is under etc/, the blocks it includes (scl/*/*.conf) under usr/share/.
  include: ['etc/syslog-ng', 'usr/share/syslog-ng/include'].map((p) => join(SYSLOG_NG_ROOT, p)).join(':'),
  libs: ['usr/lib/syslog-ng', 'usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu'].map((p) => join(SYSLOG_NG_ROOT, p)).join(':'),
};
const hasSyslogNg = existsSync(syslogNg.bin) && existsSync(join(syslogNg.modules, 'libhttp.so'));

/** A bound on waiting for a shipper to deliver, not a measured time: the test passes as soon as every line is stored. */
const DELIVERY_DEADLINE_MS = 60_000;
const POLL_MS = 200;

let server: TestServer | undefined;
let shipper: ChildProcess | undefined;
afterEach(async () => {
  shipper?.kill('SIGKILL');
  shipper = undefined;
  await server?.close();
  server = undefined;
});

/** Every well-formed fixture line, each its own record: what the shipper reads from its file. */
const LINES = [...fixtureLines('key-protect.ndjson'), ...fixtureLines('secrets-manager.ndjson')];

/** Events the server holds, read through its own query route (nobody else may open the store meanwhile). */
async function storedCount(s: TestServer): Promise<number> {
  const text = await (await fetch(`${s.url}/api/events`, { headers: BEARER })).text();
  return text.split('\n').filter((l) => l !== '').length;
}

async function untilStored(s: TestServer, expected: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + DELIVERY_DEADLINE_MS;
  for (;;) {
    if ((await storedCount(s)) >= expected) return;
    if (child.exitCode !== null) throw new Error(`the shipper exited (${child.exitCode}): ${output()}`);
    if (Date.now() > deadline) throw new Error(`not every line arrived within ${DELIVERY_DEADLINE_MS} ms: ${output()}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function run(bin: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string } {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output.slice(-4000) };
}

/** Drives one shipper over the fixture lines and checks the store holds each line's event once. */
async function deliverThrough(start: (dir: string, input: string, port: string) => { child: ChildProcess; output: () => string }): Promise<void> {
  const expected = await idsIngestStores(LINES);
  server = await startTestServer();
  const dir = join(server.dir, 'shipper');
  mkdirSync(dir);
  const input = join(dir, 'input.log');
  writeFileSync(input, ndjson(LINES));
  const started = start(dir, input, new URL(server.url).port);
  shipper = started.child;
  await untilStored(server, expected.length, started.child, started.output);
  started.child.kill('SIGTERM');
  await server.close();
  const stored = (await storedIds(server.store)).sort();
  expect(stored).toEqual(expected);
  expect(new Set(stored).size).toBe(stored.length);
}

/** rsyslog: imfile reads the file, omelasticsearch sends each line as the document, bulk mode on, basic auth with the token. */
export function rsyslogConfig(dir: string, input: string, port: string): string {
  return `global(workDirectory="${dir}")
module(load="imfile")
module(load="omelasticsearch")
template(name="rawLine" type="string" string="%msg%")
input(type="imfile" file="${input}" tag="audit" ruleset="toAuditline")
ruleset(name="toAuditline") {
  action(type="omelasticsearch" server="127.0.0.1" serverport="${port}" searchIndex="logs"
         bulkmode="on" template="rawLine" uid="shipper" pwd="${TOKEN}"
         errorfile="${dir}/omelasticsearch-errors.json"
         action.resumeRetryCount="-1" action.resumeInterval="1")
}
`;
}

/** syslog-ng: the file without parsing, each line as the document through elasticsearch-http(), basic auth with the token. */
export function syslogNgConfig(dir: string, input: string, port: string, includePath?: string): string {
  // include-path: where scl.conf is looked for, when syslog-ng is not installed where it was built for.
  return `@version: 3.35
${includePath === undefined ? '' : `@define include-path "${includePath}"\n`}@include "scl.conf"
source s_file { file("${input}" follow-freq(0.2) flags(no-parse)); };
destination d_auditline {
  elasticsearch-http(url("http://127.0.0.1:${port}/_bulk") index("logs") type("")
    user("shipper") password("${TOKEN}") template("$MSG") batch-lines(100) batch-timeout(200));
};
log { source(s_file); destination(d_auditline); };
`;
}

describe('real shippers store every line once', () => {
  it.skipIf(!hasRsyslog)(
    'rsyslog omelasticsearch in bulk mode, reading a file with imfile',
    async () => {
      await deliverThrough((dir, input, port) => {
        const conf = join(dir, 'rsyslog.conf');
        writeFileSync(conf, rsyslogConfig(dir, input, port));
        return run(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid'), '-M', RSYSLOG_MODULES]);
      });
    },
    90_000,
  );

  it.skipIf(!hasSyslogNg)(
    'syslog-ng elasticsearch-http(), reading a file',
    async () => {
      await deliverThrough((dir, input, port) => {
        const conf = join(dir, 'syslog-ng.conf');
        writeFileSync(conf, syslogNgConfig(dir, input, port, SYSLOG_NG_ROOT === '/' ? undefined : syslogNg.include));
        return run(
          syslogNg.bin,
          [
            '-F',
            '-f',
            conf,
            `--module-path=${syslogNg.modules}`,
            `--persist-file=${dir}/syslog-ng.persist`,
            `--pidfile=${dir}/syslog-ng.pid`,
            `--control=${dir}/syslog-ng.ctl`,
            '--no-caps',
          ],
          { LD_LIBRARY_PATH: syslogNg.libs },
        );
      });
    },
    90_000,
  );
});
