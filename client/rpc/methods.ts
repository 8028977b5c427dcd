// The RPC method table: each JSON-RPC method name, its parameters and the
// ClientApi call it makes (docs/client-api.md §Methods). Parameters come by
// name (an object) or by position (an array, in the order listed here); the
// types are checked here, the meaning (is the contact known, is the address
// valid, is the content small enough) by the daemon, which answers a
// ClientError.
//
// `subscribe` and `unsubscribe` belong to a connection, not to the API, so
// the server handles them itself (client/rpc/server.ts).

import type { ClientApi, ClientSettingsChange } from '../api.js';

export type ParamType = 'string' | 'boolean' | 'limit' | 'base64' | 'message-id' | 'rate' | 'passphrase';

export interface ParamSpec {
  name: string;
  type: ParamType;
  optional?: boolean;
}

export interface MethodSpec {
  params: readonly ParamSpec[];
  call(api: ClientApi, p: Record<string, unknown>): Promise<unknown>;
}

/** The largest `limit` a history request may ask for. */
export const MAX_HISTORY_LIMIT = 10_000;
/** The largest cover rate a user may ask for, packets per second (client.toml's bound). */
export const MAX_RATE = 1000;
/** The longest passphrase a call carries, in UTF-16 code units (a passphrase file holds at most 4096 bytes). */
export const MAX_PASSPHRASE_LENGTH = 4096;

const str = (name: string): ParamSpec => ({ name, type: 'string' });
const rate = (name: string): ParamSpec => ({ name, type: 'rate', optional: true });
const passphrase = (name: string): ParamSpec => ({ name, type: 'passphrase' });
const acceptWeak: ParamSpec = { name: 'acceptWeak', type: 'boolean', optional: true };

// `p` has passed validateParams, so the casts below only restate the checks.
export const API_METHODS: ReadonlyMap<string, MethodSpec> = new Map<string, MethodSpec>([
  ['status', { params: [], call: (api) => api.status() }],
  ['address', { params: [], call: (api) => api.address() }],
  ['contacts.add', { params: [str('name'), str('address')], call: (api, p) => api.addContact(p.name as string, p.address as string) }],
  ['contacts.list', { params: [], call: (api) => api.listContacts() }],
  ['contacts.remove', { params: [str('name')], call: (api, p) => api.removeContact(p.name as string) }],
  [
    'contacts.accept',
    { params: [str('name'), { name: 'unverify', type: 'boolean', optional: true }], call: (api, p) => api.acceptContactKey(p.name as string, (p.unverify as boolean | undefined) ?? false) },
  ],
  ['contacts.reject', { params: [str('name')], call: (api, p) => api.rejectContactKey(p.name as string) }],
  ['contacts.verify', { params: [str('name'), { name: 'verified', type: 'boolean' }], call: (api, p) => api.markVerified(p.name as string, p.verified as boolean) }],
  ['send.text', { params: [str('contact'), str('text')], call: (api, p) => api.sendText(p.contact as string, p.text as string) }],
  ['send.file', { params: [str('contact'), str('name'), { name: 'data', type: 'base64' }], call: (api, p) => api.sendFile(p.contact as string, p.name as string, p.data as string) }],
  ['history', { params: [str('contact'), { name: 'limit', type: 'limit', optional: true }], call: (api, p) => api.history(p.contact as string, p.limit as number | undefined) }],
  [
    'history.page',
    {
      params: [str('contact'), { name: 'limit', type: 'limit', optional: true }, { name: 'before', type: 'message-id', optional: true }],
      call: (api, p) => api.historyPage(p.contact as string, p.limit as number | undefined, p.before as string | undefined),
    },
  ],
  ['inbox', { params: [], call: (api) => api.inbox() }],
  ['read', { params: [str('contact')], call: (api, p) => api.markRead(p.contact as string) }],
  ['file.data', { params: [{ name: 'id', type: 'message-id' }], call: (api, p) => api.fileData(p.id as string) }],
  ['verify', { params: [str('contact')], call: (api, p) => api.verify(p.contact as string) }],
  ['delivery-id.rotate', { params: [], call: (api) => api.rotateDeliveryId() }],
  // Short handles (docs/client.md §Short handles); contacts.add takes a handle where it takes an address.
  ['handle.get', { params: [], call: (api) => api.handle() }],
  ['handle.claim', { params: [str('name')], call: (api, p) => api.claimHandle(p.name as string) }],
  ['handle.release', { params: [], call: (api) => api.releaseHandle() }],
  // Blocking (docs/client.md §Blocking).
  ['blocked.add', { params: [str('address')], call: (api, p) => api.block(p.address as string) }],
  ['blocked.remove', { params: [str('address')], call: (api, p) => api.unblock(p.address as string) }],
  ['blocked.list', { params: [], call: (api) => api.listBlocked() }],
  // Groups (docs/groups.md §11): `group` is a group id (32 hex digits) or the name of exactly one group.
  ['group.create', { params: [str('name')], call: (api, p) => api.groupCreate(p.name as string) }],
  ['group.invite', { params: [str('group'), str('contact')], call: (api, p) => api.groupInvite(p.group as string, p.contact as string) }],
  ['group.accept', { params: [str('group')], call: (api, p) => api.groupAccept(p.group as string) }],
  ['group.decline', { params: [str('group')], call: (api, p) => api.groupDecline(p.group as string) }],
  ['group.leave', { params: [str('group')], call: (api, p) => api.groupLeave(p.group as string) }],
  ['group.remove', { params: [str('group'), str('member')], call: (api, p) => api.groupRemove(p.group as string, p.member as string) }],
  ['group.rename', { params: [str('group'), str('name')], call: (api, p) => api.groupRename(p.group as string, p.name as string) }],
  ['group.send.text', { params: [str('group'), str('text')], call: (api, p) => api.groupSendText(p.group as string, p.text as string) }],
  ['group.send.file', { params: [str('group'), str('name'), { name: 'data', type: 'base64' }], call: (api, p) => api.groupSendFile(p.group as string, p.name as string, p.data as string) }],
  ['group.list', { params: [], call: (api) => api.groupList() }],
  ['group.history', { params: [str('group'), { name: 'limit', type: 'limit', optional: true }], call: (api, p) => api.groupHistory(p.group as string, p.limit as number | undefined) }],
  ['group.read', { params: [str('group')], call: (api, p) => api.groupMarkRead(p.group as string) }],
  // Settings (docs/client.md §Configuration): a rate of null removes the user's raise.
  ['settings.get', { params: [], call: (api) => api.settings() }],
  [
    'settings.set',
    {
      params: [{ name: 'readReceipts', type: 'boolean', optional: true }, rate('lambdaP'), rate('lambdaL'), rate('lambdaD')],
      call: (api, p) => api.setSettings(p as ClientSettingsChange),
    },
  ],
  // The profile's passphrase and backup (docs/client.md §Passphrase): passphrases pass through, never kept.
  ['passphrase.strength', { params: [passphrase('passphrase')], call: (api, p) => api.passphraseStrength(p.passphrase as string) }],
  [
    'profile.passphrase',
    { params: [passphrase('current'), passphrase('next'), acceptWeak], call: (api, p) => api.changePassphrase(p.current as string, p.next as string, (p.acceptWeak as boolean | undefined) ?? false) },
  ],
  ['profile.backup', { params: [passphrase('passphrase'), acceptWeak], call: (api, p) => api.backup(p.passphrase as string, (p.acceptWeak as boolean | undefined) ?? false) }],
]);

/** Connection-level methods, answered by the server itself. */
export const SUBSCRIPTION_METHODS = ['subscribe', 'unsubscribe'] as const;

/** Params that do not fit a method's parameter list. */
export class InvalidParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidParamsError';
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MESSAGE_ID = /^[0-9a-f]{32}$/i;

function check(spec: ParamSpec, value: unknown): string | null {
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' ? null : 'must be a string';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'limit':
      return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_HISTORY_LIMIT ? null : `must be an integer from 1 to ${MAX_HISTORY_LIMIT}`;
    case 'base64':
      return typeof value === 'string' && BASE64.test(value) ? null : 'must be a base64 string (RFC 4648, padded)';
    case 'message-id':
      return typeof value === 'string' && MESSAGE_ID.test(value) ? null : 'must be a message id (32 hex digits)';
    case 'rate':
      return value === null || (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_RATE) ? null : `must be a rate from 0 to ${MAX_RATE} per second, or null`;
    case 'passphrase':
      return typeof value === 'string' && value.length <= MAX_PASSPHRASE_LENGTH ? null : `must be a string of at most ${MAX_PASSPHRASE_LENGTH} characters`;
  }
}

/**
 * The params of a call as a name → value record, or InvalidParamsError:
 * unknown names, missing required ones, too many positions and wrong types
 * are all refused. Absent params mean "none".
 */
export function validateParams(method: string, specs: readonly ParamSpec[], params: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (params === undefined) {
    params = {};
  } else if (Array.isArray(params)) {
    if (params.length > specs.length) throw new InvalidParamsError(`${method} takes at most ${specs.length} parameter${specs.length === 1 ? '' : 's'}, got ${params.length}`);
    params = Object.fromEntries(params.map((v: unknown, i) => [specs[i].name, v]));
  } else if (typeof params !== 'object' || params === null) {
    throw new InvalidParamsError(`${method}: params must be an object or an array`);
  }
  const given = params as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!specs.some((s) => s.name === key)) throw new InvalidParamsError(`${method}: unknown parameter ${JSON.stringify(key)}`);
  }
  for (const spec of specs) {
    const value = Object.hasOwn(given, spec.name) ? given[spec.name] : undefined;
    if (value === undefined) {
      if (!spec.optional) throw new InvalidParamsError(`${method}: missing parameter "${spec.name}"`);
      continue;
    }
    const problem = check(spec, value);
    if (problem) throw new InvalidParamsError(`${method}: "${spec.name}" ${problem}`);
    out[spec.name] = value;
  }
  return out;
}
