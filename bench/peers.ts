import { spawn } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The peers of the report: what a user would run instead of auditline to reshape the same corpus
 * (rsyslog, syslog-ng, jq), each with its configuration under bench/peers/, in its own process,
 * measured like our stages: wall time until every line is written, CPU time (user + system) and
 * peak RSS of the peer's whole process tree (GNU time's rusage of its child), and the lines it
 * wrote. The daemons never end on their own: they run until the lines written reach the JSON lines of the corpus
 * (or stop coming), then are stopped. A peer not installed is skipped with the reason.
 */
export interface PeerRun {
  name: string;
  /** Lines written by the peer (across its output files) */
  written: number;
  /** JSON lines of the corpus: what the peer should have written */
  expected: number;
  ms: number;
  cpuUs: number;
  maxRssMiB: number;
}

export type PeerOutcome = PeerRun | { name: string; skipped: string };

/** bench/peers/ beside this module's source, whether it runs compiled (bench/dist/bench/) or from the source (tests). */
const HERE = fileURLToPath(new URL('.', import.meta.url));
const PEERS_DIR = existsSync(join(HERE, 'peers', 'rsyslog.conf')) ? join(HERE, 'peers') : join(HERE, '../../peers');
const TIME = '/usr/bin/time';
const RSYSLOGD = '/usr/sbin/rsyslogd';
const RSYSLOG_MODULES = '/usr/lib/x86_64-linux-gnu/rsyslog';
const SYSLOG_NG_VERSION = '3.38';
/** Polling the output folder: fine enough against runs of seconds, cheap (only new bytes are read). */
const POLL_MS = 20;
/** A peer that wrote nothing new for this long has stopped: its count is reported as it stands. */
const STALL_MS = 10_000;
/** Before the first line: daemons start in well under a second. */
const FIRST_LINE_MS = 30_000;

interface PeerSpec {
  name: string;
  /** Why it cannot run here, or undefined */
  missing(): string | undefined;
  /** The command (under GNU time) for a corpus, a folder for outputs and one for its state */
  command(corpus: string, out: string, work: string): { bin: string; args: string[]; env?: NodeJS.ProcessEnv };
  /** Ends on its own (jq) rather than being stopped once every line is written (daemons) */
  exits: boolean;
}

/** A configuration of bench/peers/ with its paths filled in, written into the run's work folder. */
function configFor(file: string, work: string, paths: Record<string, string>): string {
  let text = readFileSync(join(PEERS_DIR, file), 'utf8');
  for (const [k, v] of Object.entries(paths)) text = text.replaceAll(`@${k}@`, v);
  const conf = join(work, file);
  writeFileSync(conf, text);
  return conf;
}

/** syslog-ng installed, or unpacked with `dpkg -x` into SYSLOG_NG_ROOT (it conflicts with rsyslog as a package). */
function syslogNgRoot(): string | undefined {
  for (const root of [process.env.SYSLOG_NG_ROOT, '/', '/opt/syslog-ng-root']) {
    if (root && existsSync(join(root, 'usr/sbin/syslog-ng')) && existsSync(join(root, 'usr/lib/syslog-ng', SYSLOG_NG_VERSION, 'libjson-plugin.so')))
      return root;
  }
  return undefined;
}

const PEERS: PeerSpec[] = [
  {
    name: 'rsyslog',
    missing: () => (existsSync(join(RSYSLOG_MODULES, 'mmjsonparse.so')) && existsSync(RSYSLOGD) ? undefined : `${RSYSLOGD} with mmjsonparse not installed`),
    exits: false,
    command: (corpus, out, work) => ({
      bin: RSYSLOGD,
      args: ['-n', '-f', configFor('rsyslog.conf', work, { CORPUS: corpus, OUT: out, WORK: work }), '-i', join(work, 'pid'), '-M', RSYSLOG_MODULES],
    }),
  },
  {
    name: 'syslog-ng',
    missing: () => (syslogNgRoot() ? undefined : `syslog-ng ${SYSLOG_NG_VERSION} neither installed nor under SYSLOG_NG_ROOT`),
    exits: false,
    command: (corpus, out, work) => {
      const root = syslogNgRoot()!;
      const libs = ['usr/lib/syslog-ng', 'usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu'].map((p) => join(root, p)).join(':');
      return {
        bin: join(root, 'usr/sbin/syslog-ng'),
        args: [
          '-F',
          '-f',
          configFor('syslog-ng.conf', work, { CORPUS: corpus, OUT: out }),
          `--module-path=${join(root, 'usr/lib/syslog-ng', SYSLOG_NG_VERSION)}`,
          `--persist-file=${join(work, 'persist')}`,
          `--pidfile=${join(work, 'pid')}`,
          `--control=${join(work, 'ctl')}`,
        ],
        env: root === '/' ? {} : { LD_LIBRARY_PATH: libs },
      };
    },
  },
  {
    name: 'jq',
    missing: () => (existsSync('/usr/bin/jq') ? undefined : '/usr/bin/jq not installed'),
    exits: true,
    command: (corpus, out) => ({
      bin: 'sh',
      args: ['-c', `exec /usr/bin/jq -c -R -f "$1" "$2" > "$3"`, 'jq', join(PEERS_DIR, 'reshape.jq'), corpus, join(out, 'all.ndjson')],
    }),
  },
];

/** Newlines in a folder's files, reading only what was added since the last call. */
class OutputCounter {
  private readonly seen = new Map<string, number>();
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  lines = 0;
  constructor(private readonly dir: string) {}
  poll(): number {
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      const from = this.seen.get(path) ?? 0;
      const size = statSync(path).size;
      if (size <= from) continue;
      const fd = openSync(path, 'r');
      try {
        let at = from;
        while (at < size) {
          const n = readSync(fd, this.buffer, 0, Math.min(this.buffer.length, size - at), at);
          if (n === 0) break;
          for (let i = this.buffer.indexOf(10, 0); i !== -1 && i < n; i = this.buffer.indexOf(10, i + 1)) this.lines++;
          at += n;
        }
        this.seen.set(path, at);
      } finally {
        closeSync(fd);
      }
    }
    return this.lines;
  }
}

/** The children of a process (Linux 3.5+ lists them per thread). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function runPeer(spec: PeerSpec, corpus: string, expected: number): Promise<PeerRun> {
  const dir = mkdtempSync(join(tmpdir(), `auditline-peer-${spec.name}-`));
  const out = join(dir, 'out');
  const work = join(dir, 'work');
  mkdirSync(out);
  mkdirSync(work);
  const rusage = join(dir, 'rusage');
  try {
    const { bin, args, env } = spec.command(resolve(corpus), out, work);
    const counter = new OutputCounter(out);
    const started = performance.now();
    // GNU time waits for the peer and writes the rusage of its children: user, system seconds, peak RSS KiB.
    const child = spawn(TIME, ['-f', '%U %S %M', '-o', rusage, bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let exitCode: number | null | undefined;
    void exited.then((c) => (exitCode = c));
    let lastGrowth = started;
    let last = 0;
    let doneAt: number | undefined;
    for (;;) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const now = performance.now();
      const n = counter.poll();
      if (n > last) {
        last = n;
        lastGrowth = now;
      }
      if (n >= expected || exitCode !== undefined) {
        doneAt = now;
        break;
      }
      if (now - lastGrowth > (last === 0 ? FIRST_LINE_MS : STALL_MS)) {
        doneAt = lastGrowth;
        break;
      }
    }
    if (!spec.exits) {
      for (const pid of childrenOf(child.pid!)) process.kill(pid, 'SIGTERM');
    }
    const code = await exited;
    counter.poll();
    if (!existsSync(rusage) || readFileSync(rusage, 'utf8').trim() === '') throw new Error(`${spec.name}: no rusage (exit ${code}): ${stderr}`);
    // The last line holds the figures (GNU time writes "Command exited with non-zero status" above them).
    const [user, system, maxKib] = readFileSync(rusage, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number];
    if (counter.lines === 0) throw new Error(`${spec.name} wrote nothing (exit ${code}): ${stderr}`);
    return { name: spec.name, written: counter.lines, expected, ms: doneAt - started, cpuUs: (user + system) * 1e6, maxRssMiB: maxKib / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines of the corpus that are JSON: what each peer writes (each drops the rest). Read in blocks: a 1M-line corpus is past V8's longest string. */
export async function jsonLinesOf(corpus: string): Promise<number> {
  let n = 0;
  let rest = '';
  for await (const chunk of createReadStream(corpus, { encoding: 'utf8', highWaterMark: 1 << 22 }) as AsyncIterable<string>) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) n += isJson(line) ? 1 : 0;
  }
  return n + (rest !== '' && isJson(rest) ? 1 : 0);
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

export async function runPeers(corpus: string, only?: (name: string) => boolean): Promise<PeerOutcome[]> {
  const specs = PEERS.filter((p) => !only || only(p.name));
  if (specs.length === 0) return [];
  if (!existsSync(TIME)) return specs.map((p) => ({ name: p.name, skipped: `${TIME} (GNU time, for the peer's rusage) not installed` }));
  const expected = await jsonLinesOf(corpus);
  const outcomes: PeerOutcome[] = [];
  for (const spec of specs) {
    const missing = spec.missing();
    outcomes.push(missing ? { name: spec.name, skipped: missing } : await runPeer(spec, corpus, expected));
  }
  return outcomes;
}
