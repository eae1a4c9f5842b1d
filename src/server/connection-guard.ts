import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Why a connection was cut or refused before its request could be answered by a route. */
export type ConnectionCut = 'header_timeout' | 'request_timeout' | 'slow_body' | 'too_many_connections' | 'idle_shed' | 'bad_request';

export interface ConnectionLimits {
  /** Open connections at most; at the cap, idle ones are closed first, then a new one is answered 503 and closed. */
  maxConnections: number;
  /** A request body arriving slower than this, measured over `bodyRateWindowMs`, is answered 408 and its connection closed. */
  minBodyBytesPerSecond: number;
  bodyRateWindowMs: number;
}

export interface ConnectionGuard {
  /** Connections open now. */
  open(): number;
  stop(): void;
}

/** Raw answers written on a socket that has no response object of its own (or whose handler is still reading). */
const RAW_408 = rawAnswer(408, 'Request Timeout', 'the request was not received in time, or its body came slower than the minimum rate');
const RAW_503 = rawAnswer(503, 'Service Unavailable', 'too many connections; connect again later', 'Retry-After: 1\r\n');
const RAW_400 = rawAnswer(400, 'Bad Request', 'the request could not be parsed');
const RAW_431 = rawAnswer(431, 'Request Header Fields Too Large', 'the request headers are larger than the limit');

function rawAnswer(status: number, text: string, reason: string, extra = ''): string {
  const body = JSON.stringify({ error: { type: 'connection_refused', reason }, status });
  return `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nX-Elastic-Product: Elasticsearch\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

interface SocketState {
  /** A request is being read or answered. */
  busy: boolean;
  /** `bytesRead` when the connection last became idle: more since then means a new request is arriving. */
  readWhenIdle: number;
}

/**
 * What node:http leaves to us about slow and idle clients. Its header and request timeouts cut a
 * slowloris sender (checked every `connectionsCheckingInterval`); this counts those cuts, measures
 * each body's rate (a sender trickling a byte every few seconds stays inside any request timeout
 * that a 32 MiB body needs), and caps open connections, closing idle keep-alive ones before
 * refusing a new one, so a few hundred idle sockets cannot exhaust the process's descriptors.
 */
export function guardConnections(http: Server, limits: ConnectionLimits, cut: (reason: ConnectionCut) => void): ConnectionGuard {
  const sockets = new Map<Socket, SocketState>();
  const tls = 'setSecureContext' in http;

  const isIdle = (socket: Socket, state: SocketState) => !state.busy && socket.bytesRead === state.readWhenIdle;

  const onConnection = (socket: Socket) => {
    if (sockets.size >= limits.maxConnections) {
      for (const [s, state] of sockets) {
        if (!isIdle(s, state)) continue;
        sockets.delete(s);
        s.destroy();
        cut('idle_shed');
      }
    }
    if (sockets.size >= limits.maxConnections) {
      cut('too_many_connections');
      socket.on('error', () => undefined);
      socket.end(RAW_503, () => socket.destroy());
      return;
    }
    sockets.set(socket, { busy: false, readWhenIdle: socket.bytesRead });
    socket.once('close', () => sockets.delete(socket));
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const state = sockets.get(socket);
    if (state) state.busy = true;
    const timer = limits.minBodyBytesPerSecond > 0 && hasBody(req) ? watchBodyRate(req, limits, cut) : undefined;
    res.once('close', () => {
      if (timer) clearInterval(timer);
      if (state) {
        state.busy = false;
        state.readWhenIdle = socket.bytesRead;
      }
    });
  };

  const onClientError = (e: NodeJS.ErrnoException, socket: Socket) => {
    const inRequest = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    let raw: string | undefined;
    if (e.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      cut(inRequest ? 'request_timeout' : 'header_timeout');
      raw = RAW_408;
    } else if (e.code === 'ECONNRESET' || e.code === 'EPIPE') {
      raw = undefined;
    } else {
      cut('bad_request');
      raw = e.code === 'HPE_HEADER_OVERFLOW' ? RAW_431 : RAW_400;
    }
    // As node:http does without a listener: answer only if nothing of a response went out yet.
    if (raw && socket.writable && !inRequest?.headersSent) socket.end(raw, () => socket.destroy());
    else socket.destroy();
  };

  // TLS: the cap counts connections once their handshake is done (the handshake has its own timeout).
  const connectionEvent = tls ? 'secureConnection' : 'connection';
  http.on(connectionEvent, onConnection);
  http.on('request', onRequest);
  http.on('clientError', onClientError);
  return {
    open: () => sockets.size,
    stop() {
      http.off(connectionEvent, onConnection);
      http.off('request', onRequest);
      http.off('clientError', onClientError);
    },
  };
}

function hasBody(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return length > 0 || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Every window, the bytes the socket read must have grown by the minimum rate times the window.
 * `bytesRead` is the socket's, counted as the bytes arrive whoever consumes them, so watching it
 * never takes data away from the handler.
 */
function watchBodyRate(req: IncomingMessage, limits: ConnectionLimits, cut: (reason: ConnectionCut) => void): NodeJS.Timeout {
  const socket = req.socket;
  const minPerWindow = Math.max(1, Math.floor((limits.minBodyBytesPerSecond * limits.bodyRateWindowMs) / 1000));
  let last = socket.bytesRead;
  const timer = setInterval(() => {
    if (req.complete || socket.destroyed) {
      clearInterval(timer);
      return;
    }
    const now = socket.bytesRead;
    if (now - last >= minPerWindow) {
      last = now;
      return;
    }
    clearInterval(timer);
    cut('slow_body');
    // The handler is still reading the body: the answer goes on the socket directly, and closing it
    // ends the handler's read (it sees a sender gone mid-body and answers nothing more).
    if (socket.writable) socket.end(RAW_408, () => socket.destroy());
    else socket.destroy();
  }, limits.bodyRateWindowMs);
  timer.unref();
  return timer;
}
