// The web app's calls: POST /api/call with {"method": "...", "params": ...},
// the methods and parameters of the daemon's JSON-RPC API
// (docs/client-api.md §Methods), checked by the same table. The answer is
// {"result": …} or {"error": {"code", "message"}} with the ClientError code
// (docs/web-app.md §API).

import { ClientError, type ClientApi, type ClientErrorCode } from '../api.js';
import { API_METHODS, InvalidParamsError, validateParams } from '../rpc/methods.js';
import type { Logger } from '../../runtime/log/logger.js';

export type ApiCallAnswer = { status: number; body: { result: unknown } | { error: { code: ClientErrorCode | 'unknown-method'; message: string } } };

export async function answerApiCall(api: ClientApi, request: unknown, log: Logger): Promise<ApiCallAnswer> {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return refuse(400, 'bad-request', 'the body must be a JSON object {"method", "params"}');
  const { method, params, ...rest } = request as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return refuse(400, 'bad-request', `unknown member ${JSON.stringify(Object.keys(rest)[0])}`);
  if (typeof method !== 'string') return refuse(400, 'bad-request', '"method" must be a string');
  const spec = API_METHODS.get(method);
  if (!spec) return refuse(404, 'unknown-method', `unknown method ${JSON.stringify(method)}`);
  try {
    const result = await spec.call(api, validateParams(method, spec.params, params));
    return { status: 200, body: { result: result ?? null } };
  } catch (err) {
    if (err instanceof InvalidParamsError) return refuse(400, 'bad-request', `invalid params: ${err.message}`);
    if (err instanceof ClientError) return refuse(err.code === 'unavailable' ? 503 : 422, err.code, err.message);
    log.error('internal error in a web app call', { method, error: err instanceof Error ? err.message : String(err) });
    return refuse(500, 'unavailable', 'internal error');
  }
}

function refuse(status: number, code: ClientErrorCode | 'unknown-method', message: string): ApiCallAnswer {
  return { status, body: { error: { code, message } } };
}
