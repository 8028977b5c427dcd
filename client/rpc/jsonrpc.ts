// JSON-RPC 2.0 message shapes and error codes of the client's local API
// (docs/client-api.md; JSON-RPC 2.0 specification §4–§6).
//
// Standard codes (§5.1) cover malformed traffic; every `ClientErrorCode` gets
// its own number in the range the specification reserves for
// implementation-defined server errors (-32000 … -32099), and the error's
// `data` repeats the code as a string: `{ "code": "unknown-contact" }`.

import type { ClientErrorCode } from '../api.js';

export type JsonRpcId = string | number | null;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  method: string;
  params?: unknown;
  /** Absent for a notification (no response is sent). */
  id?: JsonRpcId;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: { code: ClientErrorCode };
}

export type JsonRpcResponse = { jsonrpc: '2.0'; id: JsonRpcId; result: unknown } | { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcErrorObject };

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: unknown;
}

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;

/** One number per ClientErrorCode (documented in docs/client-api.md §Errors). */
export const CLIENT_ERROR_NUMBERS: Readonly<Record<ClientErrorCode, number>> = {
  'unknown-contact': -32001,
  'contact-exists': -32002,
  'bad-address': -32003,
  'bad-name': -32004,
  'too-large': -32005,
  'key-changed': -32006,
  'not-found': -32007,
  unavailable: -32008,
  'bad-request': -32009,
  'verified-contact': -32010,
  blocked: -32011,
  'wrong-passphrase': -32012,
  'refused-passphrase': -32013,
  'weak-passphrase': -32014,
  'below-network': -32015,
  'handle-taken': -32016,
  'forged-handle': -32017,
};

const CODE_BY_NUMBER = new Map<number, ClientErrorCode>(Object.entries(CLIENT_ERROR_NUMBERS).map(([code, n]) => [n, code as ClientErrorCode]));

export function isClientErrorCode(value: unknown): value is ClientErrorCode {
  return typeof value === 'string' && Object.hasOwn(CLIENT_ERROR_NUMBERS, value);
}

/**
 * The ClientErrorCode an error response stands for: its `data.code` when
 * that is one, else its number; the standard codes for malformed requests
 * read as 'bad-request', anything else (internal errors) as 'unavailable'.
 */
export function clientErrorCodeOf(error: JsonRpcErrorObject): ClientErrorCode {
  const data = error.data as { code?: unknown } | undefined;
  if (data && isClientErrorCode(data.code)) return data.code;
  const byNumber = CODE_BY_NUMBER.get(error.code);
  if (byNumber) return byNumber;
  if (error.code === PARSE_ERROR || error.code === INVALID_REQUEST || error.code === METHOD_NOT_FOUND || error.code === INVALID_PARAMS) return 'bad-request';
  return 'unavailable';
}

/** The name of the server-pushed notification carrying a ClientEvent as params. */
export const EVENT_NOTIFICATION = 'event';
