import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuditlineError } from '../errors.js';

/** Listens, or fails with AL_SERVER_LISTEN naming the address and the system's reason (in use, not allowed, unknown host). */
export function listen(http: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) =>
      reject(new AuditlineError('AL_SERVER_LISTEN', `cannot listen on ${host}:${port}: ${e.code ?? e.message}`, {}, { cause: e }));
    http.once('error', onError);
    http.listen(port, host, () => {
      http.off('error', onError);
      resolve();
    });
  });
}

/** The address a listening server answers on, with the port the system chose for port 0. */
export function listeningUrl(http: Server, scheme: 'http' | 'https'): string {
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}
