// The client's local JSON-RPC API (docs/client-api.md): the daemon serves a
// ClientApi on a Unix-domain socket, front ends connect to it.

export { connectClientApi, noDaemonMessage, type ClientApiConnection, type ConnectOptions } from './client.js';
export { MAX_REQUEST_LINE_BYTES, MAX_RESPONSE_LINE_BYTES } from './framing.js';
export { CLIENT_ERROR_NUMBERS, INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR } from './jsonrpc.js';
export { API_METHODS, MAX_HISTORY_LIMIT } from './methods.js';
export { ClientSocketError, serveClientApi, type ClientApiServer, type ClientSocketErrorReason, type ServeOptions } from './server.js';
export { CLIENT_SOCKET_NAME, clientSocketPath } from './socket-path.js';
