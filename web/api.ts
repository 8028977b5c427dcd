// The web app's side of its server (docs/web-app.md §API): calls are POSTs
// to /api/call with the daemon's JSON-RPC method names and params
// (docs/client-api.md §Methods); live events come as server-sent events
// from /api/events. The session cookie goes along by itself (same origin).

import type { ClientErrorCode, ClientEvent } from '../client/api.js';
import type { StatusSnapshot } from './status-snapshot.js';

/** A refused call: the daemon's ClientError code and its message. */
export class CallError extends Error {
  constructor(
    readonly code: ClientErrorCode | 'unknown-method' | 'http',
    message: string,
  ) {
    super(message);
    this.name = 'CallError';
  }
}

export async function call<T>(method: string, params?: Record<string, unknown>): Promise<T> {
  const response = await fetch('/api/call', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(params === undefined ? { method } : { method, params }),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const type = response.headers.get('Content-Type') ?? '';
  if (!type.startsWith('application/json')) throw new CallError('http', `${response.status}: ${(await response.text()).trim()}`);
  const body = (await response.json()) as { result?: T; error?: { code: ClientErrorCode; message: string } };
  if (body.error) throw new CallError(body.error.code, body.error.message);
  return body.result as T;
}

export interface LiveHandlers {
  onEvent(event: ClientEvent): void;
  onStatus(snapshot: StatusSnapshot): void;
  /** The stream opened (again): what was missed while it was closed must be reloaded. */
  onOpen(): void;
  onClose(): void;
}

/** Opens the event stream; the browser reconnects by itself. Returns a function that closes it. */
export function openLiveEvents(handlers: LiveHandlers): () => void {
  const source = new EventSource('/api/events');
  source.addEventListener('client', (e) => handlers.onEvent(JSON.parse((e as MessageEvent<string>).data) as ClientEvent));
  source.addEventListener('status', (e) => handlers.onStatus(JSON.parse((e as MessageEvent<string>).data) as StatusSnapshot));
  source.addEventListener('open', () => handlers.onOpen());
  source.addEventListener('error', () => handlers.onClose());
  return () => source.close();
}
