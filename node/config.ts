// The relay node's TOML configuration (docs/operators.md §Configuration).
// Every error names the field, what was wrong and how to fix it; unknown
// keys are errors too, so a typo is not silently ignored.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { readAuthorities } from '../protocol/config/authorities.js';
import { ConfigError, parseDuration, TomlReader as Reader, type Table } from '../protocol/config/typed-reader.js';
import { MAX_FAMILY } from '../protocol/pki/descriptor.js';
import { DEFAULT_FETCH_SLOTS } from '../protocol/wire/fetch.js';
import { DEFAULT_HANDLE_CLAIMS_PER_CLIENT_PER_HOUR } from './gateway/handle-claim-budget.js';

export { ConfigError, parseDuration };

export type NodeRole = 'authority' | 'mix' | 'gateway';
export const NODE_ROLES: readonly NodeRole[] = ['authority', 'mix', 'gateway'];

export interface AuthorityPeer {
  name: string;
  /** Hex Ed25519 identity public key (32 bytes). */
  identity: string;
  addresses: string[];
}

export interface NodeConfig {
  node: {
    name: string;
    role: NodeRole;
    /** Absolute path: identity key, epoch keys and stores live here. */
    dataDir: string;
    listen: string[];
    /** Addresses published in the node's descriptor (default: the listen addresses). */
    announce: string[];
    /**
     * Identity keys (lower-case hex) of the nodes this node's operator runs,
     * its own key allowed (so one list serves every node of the family).
     * Counts only where those nodes declare this one too (docs/operators.md §Declaring a family).
     */
    family: string[];
  };
  /** The directory authorities every node trusts (including itself, for an authority). */
  authorities: AuthorityPeer[];
  authority: {
    epochDurationMs: number;
    genesisMs: number;
    layers: number;
    /** μ: per-hop delay rate, 1/s (mean delay 1/μ s). */
    mu: number;
    lambdaP: number;
    lambdaL: number;
    lambdaD: number;
    lambdaM: number;
    nrHops: number;
    userForwardPayloadLength: number;
    /** Authorities only: this authority's admission list (docs/operators.md §Admitting nodes). Default `<data_dir>/admissions.toml`. */
    admissionsPath: string;
    /** Authorities only: most descriptors (distinct nodes) held per epoch, uploads and shares together. */
    maxDescriptorsPerEpoch: number;
  };
  mix: {
    /** Packets waiting to be unwrapped before new ones are dropped ('queue-full'). */
    inputQueue: number;
    /** Packets held for their delay at once before new ones are dropped. */
    delayQueue: number;
    /** How long an epoch's Sphinx key is kept after its epoch ends. */
    keyGraceMs: number;
    /** Threads that unwrap Sphinx packets (mix and gateway); 0: in the event loop. Default: cores − 1, at least 1. */
    workers: number;
  };
  gateway: {
    retentionMs: number;
    mailboxQuotaMessages: number;
    mailboxQuotaBytes: number;
    /** Message slots in every fetch reply (padded with dummies; docs/parameters.md §Mailbox pulls). */
    fetchBatch: number;
    /** ACK slots (SURB reply digests) in every fetch reply. */
    fetchAckBatch: number;
    /** Client token bucket: this many times the network's λP + λL + λD. */
    clientRateHeadroom: number;
    /**
     * fsync every mailbox deposit before the SURB-ACK goes out: a stored
     * message then survives a power loss, at the cost of one disk flush per
     * delivered packet (docs/storage.md §Durability).
     */
    syncDeposits: boolean;
    /** Who may register (docs/gateway.md §Registration policy): "open" (with a proof of work), "invite" or "closed". */
    registration: 'open' | 'invite' | 'closed';
    /** "open": leading zero bits of the registration proof of work (0: free). */
    registrationPowBits: number;
    /** Registered clients at most. */
    maxClients: number;
    /** New registrations per hour, whole gateway. */
    registrationsPerHour: number;
    /** New registrations per hour from one source address (IPv4 /32, IPv6 /64). */
    registrationsPerAddressPerHour: number;
    /** Client identities from one source address sending at once. */
    clientsPerAddress: number;
    /** Short-handle claims and releases per hour from one client, also the burst (docs/gateway.md §Short handles). */
    handleClaimsPerClientPerHour: number;
    /** A registration idle (no fetch, no send) this long expires with its mailbox. */
    idleExpiryMs: number;
    /** Message bytes all mailboxes together may hold. */
    mailboxTotalBytes: number;
    /** Contact-request allowance of a client with a delivery id: entries and bytes addressed to its public mailbox id. */
    requestAllowanceMessages: number;
    requestAllowanceBytes: number;
  };
  metrics: {
    /** host:port for Prometheus metrics, or null for none. */
    listen: string | null;
  };
  log: {
    level: 'debug' | 'info' | 'warn' | 'error';
  };
}

function readFamily(n: Reader): string[] {
  const family = [...new Set(n.strings('family', []).map((k) => k.toLowerCase()))];
  const bad = family.find((k) => !/^[0-9a-f]{64}$/.test(k));
  if (bad !== undefined) {
    throw new ConfigError('node.family', `"${bad}" is not a node identity key`, 'list 64-hex-digit identity keys, as `chaff node identity --config …` prints them');
  }
  // Own key included: one more than a descriptor carries.
  if (family.length > MAX_FAMILY + 1) throw new ConfigError('node.family', `lists ${family.length} nodes`, `a family declaration holds at most ${MAX_FAMILY} other nodes`);
  return family;
}

/** Validates a parsed TOML document; relative paths are resolved against `baseDir`. */
/** The unwrap workers when the config names none: every core but the one the event loop keeps, at least one (docs/operators.md §Sizing). */
export function defaultUnwrapWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

export function configFromObject(raw: unknown, baseDir: string): NodeConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('(file)', 'is not a TOML table', 'see docs/operators.md for an example');
  }
  const root = new Reader(raw as Table, '');
  root.only('node', 'authorities', 'authority', 'mix', 'gateway', 'metrics', 'log');

  const n = root.sub('node');
  n.only('name', 'role', 'data_dir', 'listen', 'announce', 'family');
  const listen = n.strings('listen');
  const node = {
    name: n.string('name'),
    role: n.oneOf('role', NODE_ROLES),
    dataDir: resolve(baseDir, n.string('data_dir')),
    listen,
    announce: n.strings('announce', listen),
    family: readFamily(n),
  };
  if (node.listen.length === 0) throw new ConfigError('node.listen', 'is empty', 'give at least one multiaddr, e.g. ["/ip4/0.0.0.0/tcp/30001"]');

  const authorities = readAuthorities(root);

  const au = root.sub('authority');
  au.only('epoch_duration', 'genesis', 'layers', 'mu', 'lambda_p', 'lambda_l', 'lambda_d', 'lambda_m', 'hops', 'user_payload_bytes', 'admissions', 'max_descriptors_per_epoch');
  const genesis = au.string('genesis', '2026-01-01T00:00:00Z');
  const genesisMs = Date.parse(genesis);
  if (!Number.isFinite(genesisMs)) {
    throw new ConfigError('authority.genesis', `"${genesis}" is not a date`, 'use an RFC 3339 time such as "2026-01-01T00:00:00Z"');
  }
  const authority = {
    epochDurationMs: au.duration('epoch_duration', '20m', 1000, 7 * 86_400_000),
    genesisMs,
    layers: au.number('layers', 3, 1, 16, true),
    mu: au.number('mu', 2, 0.001, 1000),
    lambdaP: au.number('lambda_p', 2, 0.001, 1000),
    lambdaL: au.number('lambda_l', 1, 0.001, 1000),
    lambdaD: au.number('lambda_d', 0.5, 0, 1000),
    lambdaM: au.number('lambda_m', 1, 0, 1000),
    nrHops: au.number('hops', 5, 2, 16, true),
    userForwardPayloadLength: au.number('user_payload_bytes', 2048, 64, 65536, true),
    admissionsPath: au.has('admissions') ? resolve(baseDir, au.string('admissions')) : resolve(node.dataDir, 'admissions.toml'),
    // At most one share request's worth (runtime/pki/wire.ts MAX_SHARED_DESCRIPTORS).
    maxDescriptorsPerEpoch: au.number('max_descriptors_per_epoch', 1024, 1, 2048, true),
  };

  const m = root.sub('mix');
  m.only('input_queue', 'delay_queue', 'key_grace', 'workers');
  const mix = {
    inputQueue: m.number('input_queue', 10_000, 1, 10_000_000, true),
    delayQueue: m.number('delay_queue', 200_000, 1, 100_000_000, true),
    keyGraceMs: m.duration('key_grace', '2m', 0, 86_400_000),
    workers: m.number('workers', defaultUnwrapWorkers(), 0, 256, true),
  };

  const g = root.sub('gateway');
  g.only(
    'retention',
    'mailbox_quota_messages',
    'mailbox_quota_bytes',
    'fetch_batch',
    'fetch_ack_batch',
    'client_rate_headroom',
    'sync_deposits',
    'registration',
    'registration_pow_bits',
    'max_clients',
    'registrations_per_hour',
    'registrations_per_address_per_hour',
    'clients_per_address',
    'handle_claims_per_client_per_hour',
    'idle_expiry',
    'mailbox_total_bytes',
    'request_allowance_messages',
    'request_allowance_bytes',
  );
  const gateway = {
    retentionMs: g.duration('retention', '14d', 60_000, 365 * 86_400_000),
    mailboxQuotaMessages: g.number('mailbox_quota_messages', 10_000, 1, 100_000_000, true),
    mailboxQuotaBytes: g.number('mailbox_quota_bytes', 64 * 1024 * 1024, 1024, 2 ** 40, true),
    fetchBatch: g.number('fetch_batch', DEFAULT_FETCH_SLOTS.messages, 1, 1024, true),
    fetchAckBatch: g.number('fetch_ack_batch', DEFAULT_FETCH_SLOTS.acks, 1, 1024, true),
    clientRateHeadroom: g.number('client_rate_headroom', 3, 1, 100),
    syncDeposits: g.boolean('sync_deposits', false),
    registration: g.oneOf('registration', ['open', 'invite', 'closed'] as const, 'open'),
    registrationPowBits: g.number('registration_pow_bits', 16, 0, 32, true),
    maxClients: g.number('max_clients', 10_000, 1, 10_000_000, true),
    registrationsPerHour: g.number('registrations_per_hour', 600, 1, 1_000_000, true),
    registrationsPerAddressPerHour: g.number('registrations_per_address_per_hour', 10, 1, 1_000_000, true),
    clientsPerAddress: g.number('clients_per_address', 16, 1, 1_000_000, true),
    handleClaimsPerClientPerHour: g.number('handle_claims_per_client_per_hour', DEFAULT_HANDLE_CLAIMS_PER_CLIENT_PER_HOUR, 1, 1_000_000, true),
    idleExpiryMs: g.duration('idle_expiry', '30d', 3_600_000, 3650 * 86_400_000),
    mailboxTotalBytes: g.number('mailbox_total_bytes', 16 * 1024 ** 3, 1024 * 1024, 2 ** 50, true),
    requestAllowanceMessages: g.number('request_allowance_messages', 32, 1, 1_000_000, true),
    requestAllowanceBytes: g.number('request_allowance_bytes', 256 * 1024, 1024, 2 ** 40, true),
  };

  const me = root.sub('metrics');
  me.only('listen');
  const metricsListen = me.has('listen') ? me.string('listen') : null;
  if (metricsListen !== null && !/^[^:\s]+:\d{1,5}$/.test(metricsListen)) {
    throw new ConfigError('metrics.listen', `"${metricsListen}" is not host:port`, 'use e.g. "127.0.0.1:9100", or remove the key to turn metrics off');
  }

  const l = root.sub('log');
  l.only('level');
  const log = { level: l.oneOf('level', ['debug', 'info', 'warn', 'error'] as const, 'info') };

  return { node, authorities, authority, mix, gateway, metrics: { listen: metricsListen }, log };
}

/** Reads and validates a config file. */
export function loadConfig(path: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('(file)', `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'check the path given to --config');
  }
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (err) {
    throw new ConfigError('(file)', `${path} is not valid TOML: ${(err as Error).message.split('\n')[0]}`, 'fix the syntax at the line shown');
  }
  return configFromObject(raw, dirname(resolve(path)));
}
