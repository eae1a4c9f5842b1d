import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw, type InputType, type ZlibOptions } from 'node:zlib';
import { HttpError } from './http-error.js';

const gunzipAsync = promisify<InputType, ZlibOptions, Buffer>(gunzip);
const inflateAsync = promisify<InputType, ZlibOptions, Buffer>(inflate);
const inflateRawAsync = promisify<InputType, ZlibOptions, Buffer>(inflateRaw);

/** Encodings a body may come in; zstd and snappy (Vector's options) are answered 415. */
const DECODERS: Record<string, ((b: Buffer, o: ZlibOptions) => Promise<Buffer>) | undefined> = {
  identity: undefined,
  gzip: gunzipAsync,
  'x-gzip': gunzipAsync,
  // HTTP's deflate is zlib-wrapped; some clients send it raw, so the raw form is tried second.
  deflate: (b, o) => inflateAsync(b, o).catch(() => inflateRawAsync(b, o)),
};

function tooLarge(limit: number, what: string): HttpError {
  return new HttpError(413, 'content_too_long_exception', `${what} is larger than the limit of ${limit} bytes`);
}

/**
 * Reads a request body whole, at most `maxBytes` as sent and at most `maxBytes` once inflated
 * (a gzip bomb stops at the limit: zlib's `maxOutputLength`), so one request can hold no more
 * than the limit however it is encoded. A declared length over the limit is refused unread.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (!Object.hasOwn(DECODERS, encoding)) {
    throw new HttpError(415, 'illegal_argument_exception', `unsupported Content-Encoding "${encoding.slice(0, 32)}" (identity, gzip, deflate)`);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes, 'the body');
  const raw = await collect(req, maxBytes);
  const decode = DECODERS[encoding];
  if (!decode) return withoutBom(raw);
  try {
    return withoutBom(await decode(raw, { maxOutputLength: maxBytes }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes, 'the inflated body');
    throw new HttpError(400, 'parse_exception', `the ${encoding} body cannot be inflated`);
  }
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A body saved by an editor may open with a byte-order mark: it is no part of the first line or action (JSON.parse refuses it). */
function withoutBom(body: Buffer): Buffer {
  return body.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) ? body.subarray(UTF8_BOM.length) : body;
}

/**
 * The raw bytes, at most `maxBytes`. Past the limit the rest is read and dropped rather than the
 * connection reset, so the sender reads the 413 instead of a broken pipe (the request timeout
 * still bounds how long that may take).
 */
function collect(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (part: Buffer) => {
      size += part.length;
      if (size <= maxBytes) {
        parts.push(part);
        return;
      }
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.on('error', () => undefined);
      req.resume();
      parts.length = 0;
      reject(tooLarge(maxBytes, 'the body'));
    };
    const onEnd = () => resolve(Buffer.concat(parts, size));
    const onError = (e: Error) => reject(e);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    // A sender that goes away mid-body: 'aborted' comes without an error on some Node versions.
    req.on('close', () => {
      if (!req.complete) reject(new Error('the sender closed the connection before the body ended'));
    });
  });
}
