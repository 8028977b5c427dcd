// The client's configuration, `client.toml` in the profile folder (docs/client.md
// §Configuration). It holds nothing secret: the network's authorities and
// epoch clock (copied from the network file at `chaff client init`), the
// chosen gateway, and the client's own timing. Keys live in the encrypted
// store. Errors name the field and the fix.

import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { readAuthorities, type AuthorityEntry } from '../protocol/config/authorities.js';
import { ConfigError, TomlReader, type Table } from '../protocol/config/typed-reader.js';

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
};

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
  c.only('gateway', 'gateway_name', 'fetch_interval', 'max_attempts', 'retransmit_slack', 'order_hold', 'lambda_p', 'lambda_l', 'lambda_d');
  const gateway = c.string('gateway');
  if (!HEX32.test(gateway)) throw new ConfigError('client.gateway', 'must be 64 hex characters (the gateway node id)', 'run `chaff client init` again, or copy the id from the topology');
  const d = DEFAULT_CLIENT_SETTINGS;
  const rate = (key: string) => (c.has(key) ? c.number(key, 0, 0, 1000) : undefined);
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
  const raise = (['lambdaP', 'lambdaL', 'lambdaD'] as const)
    .filter((k) => s.raise[k] !== undefined)
    .map((k) => `${k === 'lambdaP' ? 'lambda_p' : k === 'lambdaL' ? 'lambda_l' : 'lambda_d'} = ${s.raise[k]}`);
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
    "# Raise the cover rates above the network's (never below): lambda_p, lambda_l, lambda_d (per second).",
    ...raise,
    '',
  ].join('\n');
}
