// The client's configuration, `client.toml` in the profile folder (docs/client.md
// §Configuration). It holds nothing secret: the network's authorities and
// epoch clock (copied from the network file at `chaff client init`), the
// chosen gateway, and the client's own timing. Keys live in the encrypted
// store. Errors name the field and the fix.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse as parseToml } from 'smol-toml';
import { readAuthorities, type AuthorityEntry } from '../protocol/config/authorities.js';
import { ConfigError, TomlReader, type Table } from '../protocol/config/typed-reader.js';
import { writeFileAtomic } from '../runtime/fs/atomic-write.js';

export { ConfigError };

/** The configuration file in a profile folder. */
export const CLIENT_CONFIG_FILE = 'client.toml';

export interface NetworkConfig {
  genesisMs: number;
  epochDurationMs: number;
  authorities: AuthorityEntry[];
}

export interface ClientSettings {
  /** The gateway's Sphinx node id (hex), chosen at init. */
  gateway: string;
  /** The gateway's name in the document (for status; informative). */
  gatewayName: string;
  /** One mailbox pull every this many ms (constant rate). */
  fetchIntervalMs: number;
  /** Transmissions of one fragment before the message is reported failed. */
  maxAttempts: number;
  /** Added to the expected round trip before a fragment counts as lost. */
  retransmitSlackMs: number;
  /** How long a gap in a conversation (a missing earlier message) is waited for before it is reported as never arrived; nothing waits behind it. */
  orderHoldMs: number;
  /** The user's own rates; the client uses the larger of these and the document's. */
  raise: { lambdaP?: number; lambdaL?: number; lambdaD?: number };
  /** Reading a conversation sends read receipts to the contact; absent: true (the default). */
  readReceipts?: boolean;
}

export interface ClientConfig {
  network: NetworkConfig;
  client: ClientSettings;
}

const HEX32 = /^[0-9a-f]{64}$/i;

export const DEFAULT_CLIENT_SETTINGS: Omit<ClientSettings, 'gateway' | 'gatewayName'> = {
  fetchIntervalMs: 1000,
  maxAttempts: 8,
  retransmitSlackMs: 3000,
  orderHoldMs: 10 * 60_000,
  raise: {},
  readReceipts: true,
};

/** The largest cover rate client.toml takes, per second. */
export const MAX_RAISED_RATE = 1000;
/** The rates' keys in client.toml. */
export const RATE_KEYS = { lambdaP: 'lambda_p', lambdaL: 'lambda_l', lambdaD: 'lambda_d' } as const;

function readNetwork(root: TomlReader): NetworkConfig {
  const n = root.sub('network');
  n.only('genesis', 'epoch_duration');
  const genesis = n.string('genesis');
  const genesisMs = Date.parse(genesis);
  if (!Number.isFinite(genesisMs)) throw new ConfigError('network.genesis', `"${genesis}" is not a date`, 'use the RFC 3339 time the authorities use, such as "2026-01-01T00:00:00Z"');
  return { genesisMs, epochDurationMs: n.duration('epoch_duration', '20m', 1000, 7 * 86_400_000), authorities: readAuthorities(root) };
}

function asRoot(raw: unknown, what: string): TomlReader {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('(file)', `${what} is not a TOML table`, 'see docs/client.md');
  return new TomlReader(raw as Table, '');
}

/** A network file: `[network]` (genesis, epoch_duration) and `[[authorities]]`. */
export function networkFromObject(raw: unknown): NetworkConfig {
  const root = asRoot(raw, 'the network file');
  root.only('network', 'authorities');
  return readNetwork(root);
}

export function clientConfigFromObject(raw: unknown): ClientConfig {
  const root = asRoot(raw, 'client.toml');
  root.only('network', 'authorities', 'client');
  const network = readNetwork(root);
  const c = root.sub('client');
  c.only('gateway', 'gateway_name', 'fetch_interval', 'max_attempts', 'retransmit_slack', 'order_hold', 'lambda_p', 'lambda_l', 'lambda_d', 'read_receipts');
  const gateway = c.string('gateway');
  if (!HEX32.test(gateway)) throw new ConfigError('client.gateway', 'must be 64 hex characters (the gateway node id)', 'run `chaff client init` again, or copy the id from the topology');
  const d = DEFAULT_CLIENT_SETTINGS;
  const rate = (key: string) => (c.has(key) ? c.number(key, 0, 0, MAX_RAISED_RATE) : undefined);
  return {
    network,
    client: {
      gateway: gateway.toLowerCase(),
      gatewayName: c.string('gateway_name', 'gateway'),
      fetchIntervalMs: c.duration('fetch_interval', `${d.fetchIntervalMs}ms`, 50, 3_600_000),
      maxAttempts: c.number('max_attempts', d.maxAttempts, 1, 100, true),
      retransmitSlackMs: c.duration('retransmit_slack', `${d.retransmitSlackMs}ms`, 0, 3_600_000),
      orderHoldMs: c.duration('order_hold', `${d.orderHoldMs}ms`, 0, 7 * 86_400_000),
      raise: { lambdaP: rate('lambda_p'), lambdaL: rate('lambda_l'), lambdaD: rate('lambda_d') },
      readReceipts: c.boolean('read_receipts', d.readReceipts ?? true),
    },
  };
}

function parseFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('(file)', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check the path');
  }
  try {
    return parseToml(text);
  } catch (err) {
    throw new ConfigError('(file)', `${path} is not valid TOML: ${(err as Error).message.split('\n')[0]}`, 'fix the syntax at the line shown');
  }
}

export function loadNetworkFile(path: string): NetworkConfig {
  return networkFromObject(parseFile(path));
}

export function loadClientConfig(path: string): ClientConfig {
  return clientConfigFromObject(parseFile(path));
}

function q(v: string): string {
  return JSON.stringify(v);
}

/** The TOML text of a network file. */
export function networkToml(n: NetworkConfig): string {
  return [
    '[network]',
    `genesis = ${q(new Date(n.genesisMs).toISOString())}`,
    `epoch_duration = ${q(`${n.epochDurationMs}ms`)}`,
    '',
    ...n.authorities.flatMap((a) => ['[[authorities]]', `name = ${q(a.name)}`, `identity = ${q(a.identity)}`, `addresses = [${a.addresses.map(q).join(', ')}]`, '']),
  ].join('\n');
}

/** The TOML text of client.toml (written at init; the user may edit [client]). */
export function clientToml(c: ClientConfig): string {
  const s = c.client;
  const raise = (['lambdaP', 'lambdaL', 'lambdaD'] as const).filter((k) => s.raise[k] !== undefined).map((k) => `${RATE_KEYS[k]} = ${s.raise[k]}`);
  return [
    '# chaff client configuration (docs/client.md). Nothing here is secret.',
    networkToml(c.network),
    '[client]',
    `gateway = ${q(s.gateway)}`,
    `gateway_name = ${q(s.gatewayName)}`,
    `fetch_interval = ${q(`${s.fetchIntervalMs}ms`)}`,
    `max_attempts = ${s.maxAttempts}`,
    `retransmit_slack = ${q(`${s.retransmitSlackMs}ms`)}`,
    `order_hold = ${q(`${s.orderHoldMs}ms`)}`,
    '# Reading a conversation sends read receipts to the contact (false: nobody learns when you read).',
    `read_receipts = ${s.readReceipts ?? true}`,
    "# Raise the cover rates above the network's (never below): lambda_p, lambda_l, lambda_d (per second).",
    ...raise,
    '',
  ].join('\n');
}

/** What the daemon's settings calls change in client.toml (`settings.set`): each field given is set; a raise of null is removed. */
export interface ClientSettingsUpdate {
  readReceipts?: boolean;
  raise?: { lambdaP?: number | null; lambdaL?: number | null; lambdaD?: number | null };
}

/** `settings` with `update` applied. */
export function applySettingsUpdate(settings: ClientSettings, update: ClientSettingsUpdate): ClientSettings {
  const raise = { ...settings.raise };
  for (const k of ['lambdaP', 'lambdaL', 'lambdaD'] as const) {
    const v = update.raise?.[k];
    if (v === null) delete raise[k];
    else if (v !== undefined) raise[k] = v;
  }
  return { ...settings, raise, ...(update.readReceipts !== undefined ? { readReceipts: update.readReceipts } : {}) };
}

/**
 * The text of client.toml with `update` applied, edited in place so the
 * user's comments and layout stay: each key's line in [client] is replaced,
 * removed (a raise of null), or added at the table's end. The result is
 * parsed and checked to hold exactly the new settings; a file whose [client]
 * is not written as a plain table (an inline table, dotted keys) is written
 * anew from its values instead (clientToml), without its comments.
 * Throws ConfigError when `text` is not a valid client.toml.
 */
export function updateClientToml(text: string, update: ClientSettingsUpdate): string {
  let parsed: unknown;
  try {
    parsed = parseToml(text);
  } catch (err) {
    throw new ConfigError('(file)', `client.toml is not valid TOML: ${(err as Error).message.split('\n')[0]}`, 'fix the syntax at the line shown');
  }
  const before = clientConfigFromObject(parsed);
  const wanted: ClientConfig = { ...before, client: applySettingsUpdate(before.client, update) };
  const lines: Array<[key: string, value: string | null]> = [];
  if (update.readReceipts !== undefined) lines.push(['read_receipts', String(update.readReceipts)]);
  for (const k of ['lambdaP', 'lambdaL', 'lambdaD'] as const) {
    const v = update.raise?.[k];
    if (v !== undefined) lines.push([RATE_KEYS[k], v === null ? null : String(v)]);
  }
  const edited = editTable(text, 'client', lines);
  if (edited !== null) {
    try {
      if (sameConfig(clientConfigFromObject(parseToml(edited)), wanted)) return edited;
    } catch {
      // Written anew below.
    }
  }
  return clientToml(wanted);
}

function sameConfig(a: ClientConfig, b: ClientConfig): boolean {
  const norm = (c: ClientConfig) =>
    JSON.stringify({
      ...c,
      client: { ...c.client, readReceipts: c.client.readReceipts ?? true, raise: { lambdaP: c.client.raise.lambdaP, lambdaL: c.client.raise.lambdaL, lambdaD: c.client.raise.lambdaD } },
    });
  return norm(a) === norm(b);
}

/** `text` with each key of the plain table `[table]` set to its TOML value (null: its line removed), or null when there is no such table header. */
function editTable(text: string, table: string, keys: ReadonlyArray<[key: string, value: string | null]>): string | null {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const header = new RegExp(`^\\s*\\[\\s*${table}\\s*\\]\\s*(#.*)?$`);
  const start = lines.findIndex((l) => header.test(l));
  if (start < 0) return null;
  let end = lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
  if (end < 0) end = lines.length;
  for (const [key, value] of keys) {
    const at = lines.findIndex((l, i) => i > start && i < end && new RegExp(`^\\s*${key}\\s*=`).test(l));
    if (at >= 0) {
      if (value === null) {
        lines.splice(at, 1);
        end--;
      } else lines[at] = `${key} = ${value}`;
    } else if (value !== null) {
      // After the table's last line that is not blank.
      let last = end - 1;
      while (last > start && lines[last].trim() === '') last--;
      lines.splice(last + 1, 0, `${key} = ${value}`);
      end++;
    }
  }
  return lines.join(eol);
}

/**
 * Applies `update` to the client.toml at `path` (read again now: the user
 * may have edited it since the daemon started) and replaces it atomically.
 * Returns the settings it now holds. Throws ConfigError when the file cannot
 * be read or is not a valid client.toml (then nothing is written).
 */
export async function updateClientConfigFile(path: string, update: ClientSettingsUpdate): Promise<ClientConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError('(file)', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check the profile folder');
  }
  const next = updateClientToml(text, update);
  await writeFileAtomic(path, new TextEncoder().encode(next), 0o600);
  return clientConfigFromObject(parseToml(next));
}
