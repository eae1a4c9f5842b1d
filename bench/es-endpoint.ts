import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A local Elasticsearch stand-in for the `es-loader` stage, run in its own process (forked by
 * es-loader.ts) so that its work is not the loader's: every bulk item is acknowledged at once (the body
 * is still gunzipped and split, as a node would), searches find nothing, setup calls succeed. Sends
 * its port to the parent once it listens.
 */

const answer = (res: ServerResponse, body: unknown) => {
  res.writeHead(200, { 'x-elastic-product': 'Elasticsearch', 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.endsWith('/_bulk')) {
      const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      let rows = 0;
      for (let i = body.indexOf('\n'); i !== -1; i = body.indexOf('\n', i + 1)) rows++;
      // An action row and a document row per item.
      const items = new Array(Math.ceil(rows / 2)).fill({ create: { status: 201 } });
      answer(res, { errors: false, took: 0, items });
    } else if (path.endsWith('/_search')) answer(res, { took: 0, timed_out: false, hits: { hits: [] } });
    else if (path.startsWith('/_index_template/')) answer(res, { index_templates: [] });
    else if (path.startsWith('/_ilm/policy/')) answer(res, {});
    else if (path.startsWith('/_component_template/')) answer(res, { component_templates: [] });
    else answer(res, { version: { number: '9.1.0' }, acknowledged: true, data_streams: [{}] });
  });
});
server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
