// The daemon's side of the client's local API: JSON-RPC 2.0 over a Unix-domain
// socket, one JSON message per line (docs/client-api.md).
//
// The socket is the only access control: it is created with mode 0600 (the
// process umask is narrowed while it is bound, so there is no moment at which
// others could open it), and whoever can open it is the user. A socket file
// left by a crashed daemon is replaced; a live one is refused. (That check
// is not a lock: two daemons racing over one stale file could both pass it;
// the profile store, opened exclusively, keeps two daemons off a profile.)
//
// Each connection is independent: requests may be answered out of order
// (match them by id), a connection may subscribe to events once, and a
// connection that goes away is unsubscribed. Requests are started in the
// order their lines arrive. A line longer than the bound gets one error
// response and the connection is closed; so is a connection that stops
// reading while events pile up for it.

import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { ClientError, type ClientApi, type ClientEvent } from '../api.js';
import { encodeLine, LineSplitter, MAX_REQUEST_LINE_BYTES } from './framing.js';
import {
  CLIENT_ERROR_NUMBERS,
  EVENT_NOTIFICATION,
  INTERNAL_ERROR,
  INVALID_PARAMS,
  INVALID_REQUEST,
  isClientErrorCode,
  METHOD_NOT_FOUND,
  PARSE_ERROR,
  type JsonRpcErrorObject,
  type JsonRpcId,
  type JsonRpcNotification,
  type JsonRpcResponse,
} from './jsonrpc.js';
import { API_METHODS, InvalidParamsError, validateParams } from './methods.js';
import { MAX_SOCKET_PATH_BYTES, socketPathTooLong } from './socket-path.js';

export interface ServeOptions {
  /** Longest request line, bytes (default MAX_REQUEST_LINE_BYTES). */
  maxLineBytes?: number;
  /** A connection with more than this much unsent output is dropped (default 16 MiB). */
  maxBufferedBytes?: number;
  /** Simultaneous connections (default 256); more are refused by the kernel backlog. */
  maxConnections?: number;
  /** Most requests in one batch (default 100). */
  maxBatch?: number;
  /** Diagnostics (internal errors, dropped connections); never request contents. */
  log?: (line: string) => void;
}

export interface ClientApiServer {
  readonly socketPath: string;
  /** Open connections now. */
  connections(): number;
  /** Stops listening, closes every connection (ending their subscriptions) and removes the socket file. */
  close(): Promise<void>;
}

export type ClientSocketErrorReason = 'in-use' | 'not-a-socket' | 'path-too-long' | 'listen';

/** The socket could not be set up. */
export class ClientSocketError extends Error {
  constructor(
    readonly reason: ClientSocketErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'ClientSocketError';
  }
}

const MEMBERS = new Set(['jsonrpc', 'method', 'params', 'id']);

class RpcFault extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function errorResponse(id: JsonRpcId, error: JsonRpcErrorObject): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error };
}

/** Is a daemon answering on `path`? A refused connection means a stale file. */
function probe(path: string, timeoutMs = 2000): Promise<'live' | 'stale' | 'gone'> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (answer: 'live' | 'stale' | 'gone'): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    // No answer in time: something holds the socket (a busy daemon); leave it.
    const timer = setTimeout(() => done('live'), timeoutMs);
    socket.once('connect', () => done('live'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'stale' : err.code === 'ENOENT' ? 'gone' : 'live'));
  });
}

async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ClientSocketError('listen', `cannot use ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!isSocket) throw new ClientSocketError('not-a-socket', `${path} exists and is not a socket; not replacing it (move it away)`);
  const state = await probe(path);
  if (state === 'live') throw new ClientSocketError('in-use', `another chaff client daemon is already running for profile ${dirname(path)} (socket ${path})`);
  if (state === 'stale') {
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ClientSocketError('listen', `cannot remove the stale socket ${path}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
}

/** Narrows the umask while `fn` runs (bind is synchronous in listen). Worker threads cannot: chmod afterwards covers them. */
function withUmask<T>(mask: number, fn: () => T): T {
  let previous: number | undefined;
  try {
    previous = process.umask(mask);
  } catch {
    previous = undefined;
  }
  try {
    return fn();
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        err.code === 'EADDRINUSE'
          ? new ClientSocketError('in-use', `another chaff client daemon is already running for profile ${dirname(path)} (socket ${path})`)
          : new ClientSocketError('listen', `cannot listen on ${path}: ${err.code ?? err.message}`),
      );
    };
    server.once('error', onError);
    withUmask(0o177, () =>
      server.listen(path, () => {
        server.off('error', onError);
        resolve();
      }),
    );
  });
}

/** Serves `api` on a Unix-domain socket at `socketPath` until `close()`. */
export async function serveClientApi(api: ClientApi, socketPath: string, options: ServeOptions = {}): Promise<ClientApiServer> {
  const maxLine = options.maxLineBytes ?? MAX_REQUEST_LINE_BYTES;
  const maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024;
  const maxBatch = options.maxBatch ?? 100;
  const log = options.log ?? (() => {});
  if (socketPathTooLong(socketPath)) {
    throw new ClientSocketError('path-too-long', `the socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes, the system's limit; use a profile folder with a shorter path`);
  }
  await clearStaleSocket(socketPath);

  /** Each open connection and how to end its subscription. */
  const sockets = new Map<Socket, () => void>();
  const server = createServer((socket) => serveConnection(socket));
  server.maxConnections = options.maxConnections ?? 256;
  await listen(server, socketPath);
  let inode: number;
  try {
    chmodSync(socketPath, 0o600);
    inode = lstatSync(socketPath).ino;
  } catch (err) {
    server.close();
    throw new ClientSocketError('listen', `cannot restrict ${socketPath} to its owner: ${(err as NodeJS.ErrnoException).code}`);
  }

  function serveConnection(socket: Socket): void {
    let open = true;
    let unsubscribe: (() => void) | null = null;
    const end = (): void => {
      open = false;
      unsubscribe?.();
      unsubscribe = null;
    };
    sockets.set(socket, end);

    const drop = (why: string): void => {
      if (!open) return;
      open = false;
      log(`client api: closing a connection: ${why}`);
      socket.destroy();
    };
    const send = (message: JsonRpcResponse | JsonRpcResponse[] | JsonRpcNotification): void => {
      if (!open) return;
      let line: string;
      try {
        line = encodeLine(message);
      } catch (err) {
        log(`client api: cannot encode a message: ${(err as Error).message}`);
        return;
      }
      socket.write(line);
      if (socket.writableLength > maxBuffered) drop(`more than ${maxBuffered} bytes unread by the peer`);
    };

    const subscription = {
      subscribe(): { subscribed: true } {
        unsubscribe ??= api.subscribe((event: ClientEvent) => send({ jsonrpc: '2.0', method: EVENT_NOTIFICATION, params: event }));
        return { subscribed: true };
      },
      unsubscribe(): { subscribed: false } {
        unsubscribe?.();
        unsubscribe = null;
        return { subscribed: false };
      },
    };

    // Starts the call before its first await, so calls begin in line order.
    const dispatch = (method: string, params: unknown): Promise<unknown> | unknown => {
      if (method === 'subscribe' || method === 'unsubscribe') {
        validateParams(method, [], params);
        return subscription[method]();
      }
      const spec = API_METHODS.get(method);
      if (!spec) throw new RpcFault(METHOD_NOT_FOUND, `unknown method ${JSON.stringify(method)}`);
      return spec.call(api, validateParams(method, spec.params, params));
    };

    const toError = (method: string, err: unknown): JsonRpcErrorObject => {
      if (err instanceof RpcFault) return { code: err.code, message: err.message };
      if (err instanceof InvalidParamsError) return { code: INVALID_PARAMS, message: `invalid params: ${err.message}` };
      if (err instanceof ClientError && isClientErrorCode(err.code)) return { code: CLIENT_ERROR_NUMBERS[err.code], message: err.message, data: { code: err.code } };
      log(`client api: internal error in ${method}: ${err instanceof Error ? err.message : String(err)}`);
      return { code: INTERNAL_ERROR, message: 'internal error' };
    };

    const handleOne = async (message: unknown): Promise<JsonRpcResponse | undefined> => {
      if (typeof message !== 'object' || message === null || Array.isArray(message)) {
        return errorResponse(null, { code: INVALID_REQUEST, message: 'invalid request: not a JSON-RPC request object' });
      }
      const m = message as Record<string, unknown>;
      const notification = !Object.hasOwn(m, 'id');
      const id = m.id;
      if (!notification && !(id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)))) {
        return errorResponse(null, { code: INVALID_REQUEST, message: 'invalid request: "id" must be a string, a number or null' });
      }
      const replyId = notification ? null : (id as JsonRpcId);
      const invalid = (why: string): JsonRpcResponse => errorResponse(replyId, { code: INVALID_REQUEST, message: `invalid request: ${why}` });
      if (m.jsonrpc !== '2.0') return invalid('"jsonrpc" must be "2.0"');
      if (typeof m.method !== 'string') return invalid('"method" must be a string');
      const extra = Object.keys(m).find((k) => !MEMBERS.has(k));
      if (extra !== undefined) return invalid(`unknown member ${JSON.stringify(extra)}`);
      const method = m.method;
      try {
        const result = await dispatch(method, m.params);
        return notification ? undefined : { jsonrpc: '2.0', id: replyId, result: result ?? null };
      } catch (err) {
        const error = toError(method, err);
        return notification ? undefined : errorResponse(replyId, error);
      }
    };

    const handleLine = async (line: string | null): Promise<void> => {
      if (line === null) return send(errorResponse(null, { code: PARSE_ERROR, message: 'parse error: the line is not UTF-8' }));
      if (line.trim() === '') return;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        return send(errorResponse(null, { code: PARSE_ERROR, message: 'parse error: the line is not JSON' }));
      }
      if (!Array.isArray(message)) {
        const response = await handleOne(message);
        if (response) send(response);
        return;
      }
      if (message.length === 0 || message.length > maxBatch) {
        return send(errorResponse(null, { code: INVALID_REQUEST, message: `invalid request: a batch holds 1 to ${maxBatch} requests` }));
      }
      const responses = (await Promise.all(message.map(handleOne))).filter((r): r is JsonRpcResponse => r !== undefined);
      if (responses.length > 0) send(responses);
    };

    const splitter = new LineSplitter(maxLine, {
      onLine: (line) => void handleLine(line),
      onOverflow: (bytes) => {
        send(errorResponse(null, { code: INVALID_REQUEST, message: `invalid request: line longer than ${maxLine} bytes; closing the connection` }));
        open = false;
        log(`client api: closing a connection: a line of more than ${bytes} bytes`);
        socket.end(() => socket.destroy());
      },
    });

    socket.on('data', (chunk: Buffer) => {
      if (open) splitter.push(chunk);
    });
    // A peer that went away (EPIPE, ECONNRESET): 'close' follows and cleans up.
    socket.on('error', () => {});
    socket.on('close', () => {
      end();
      sockets.delete(socket);
    });
  }

  let closing: Promise<void> | null = null;
  return {
    socketPath,
    connections: () => sockets.size,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const [socket, end] of sockets) {
          end();
          socket.destroy();
        }
      }).then(() => {
        // libuv removes the file it bound; make sure, but never remove another daemon's socket.
        try {
          if (lstatSync(socketPath).ino === inode) unlinkSync(socketPath);
        } catch {
          // already gone
        }
      });
      return closing;
    },
  };
}
