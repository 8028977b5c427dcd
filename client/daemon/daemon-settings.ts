// The settings a front end changes while the daemon runs (the API's
// settings.get / settings.set, the web app's Settings screen; docs/client.md
// §Configuration): read receipts on or off, and the user's raises of the
// cover rates. A change is checked, written to client.toml (read again and
// edited in place, client/config.ts updateClientConfigFile), and only then
// applied: the messenger's read receipts switch, and the document follower's
// raise, which sets the streams' rates at once. Changes run one at a time.
//
// What the rates cost is computed from the packet sizes of the network's
// geometry: every stream event sends one packet, every mailbox fetch a
// fixed-size request and a fixed-size reply (docs/client.md §Status, What a
// running client costs).

import type { Geometry } from '../../protocol/sphinx/geometry.js';
import type { ClientRates, ClientStreams } from '../../protocol/traffic/client-streams.js';
import { DEFAULT_FETCH_SLOTS, FETCH_REQUEST_LENGTH, fetchMessageBodyLength, fetchReplyLength } from '../../protocol/wire/fetch.js';
import type { Logger } from '../../runtime/log/logger.js';
import { ClientError, type ClientSettingsChange, type ClientSettingsInfo } from '../api.js';
import { ConfigError, MAX_RAISED_RATE, updateClientConfigFile, type ClientSettings } from '../config.js';
import type { Messenger } from '../messenger.js';
import type { DocumentFollower } from './document-follower.js';

const DAY_S = 86_400;

/** The bytes one packet and one mailbox fetch take on the link (before the link's own encryption framing). */
export interface TrafficSizes {
  packetBytes: number;
  fetchRequestBytes: number;
  /** A reply of the default gateway's slots (DEFAULT_FETCH_SLOTS: 4 messages, 12 ACKs); a gateway may configure others. */
  fetchReplyBytes: number;
}

/** The sizes under `geometry` (the network document's). */
export function trafficSizes(geometry: Geometry): TrafficSizes {
  return { packetBytes: geometry.packetLength, fetchRequestBytes: FETCH_REQUEST_LENGTH, fetchReplyBytes: fetchReplyLength(DEFAULT_FETCH_SLOTS, fetchMessageBodyLength(geometry)) };
}

/** Bytes a day sent and received at `rates` and `fetchPerSecond` fetches a second. */
export function dailyBytes(rates: ClientRates, fetchPerSecond: number, sizes: TrafficSizes): { sentPerDay: number; receivedPerDay: number } {
  const packets = rates.lambdaP + rates.lambdaL + rates.lambdaD;
  return {
    sentPerDay: Math.round((packets * sizes.packetBytes + fetchPerSecond * sizes.fetchRequestBytes) * DAY_S),
    receivedPerDay: Math.round(fetchPerSecond * sizes.fetchReplyBytes * DAY_S),
  };
}

const RATE_NAMES = { lambdaP: 'λP', lambdaL: 'λL', lambdaD: 'λD' } as const;

export interface DaemonSettingsComponents {
  logger: Logger;
  messenger: Pick<Messenger, 'readReceipts'>;
  /** The network's rates in use and the user's raise of them (client/daemon/document-follower.ts). */
  cover: Pick<DocumentFollower, 'networkRates' | 'raise' | 'setRaise'>;
  streams: Pick<ClientStreams<unknown>, 'rates'>;
}

export interface DaemonSettingsInit {
  /** The profile's client.toml. */
  configPath: string;
  fetchIntervalMs: number;
  sizes: TrafficSizes;
}

export class DaemonSettings {
  readonly #c: DaemonSettingsComponents;
  readonly #init: DaemonSettingsInit;
  #changing: Promise<unknown> = Promise.resolve();

  constructor(components: DaemonSettingsComponents, init: DaemonSettingsInit) {
    this.#c = components;
    this.#init = init;
  }

  get(): ClientSettingsInfo {
    const raise = this.#c.cover.raise;
    const effective = { ...this.#c.streams.rates };
    const fetchPerSecond = 1000 / this.#init.fetchIntervalMs;
    const { sizes } = this.#init;
    return {
      readReceipts: this.#c.messenger.readReceipts,
      cover: {
        network: this.#c.cover.networkRates,
        raise: { lambdaP: raise.lambdaP ?? null, lambdaL: raise.lambdaL ?? null, lambdaD: raise.lambdaD ?? null },
        effective,
        fetchPerSecond,
        cost: { ...sizes, ...dailyBytes(effective, fetchPerSecond, sizes) },
      },
      configFile: this.#init.configPath,
    };
  }

  /** Checks `change`, writes it to client.toml, applies it; one change at a time. */
  set(change: ClientSettingsChange): Promise<ClientSettingsInfo> {
    const run = this.#changing.then(() => this.#set(change));
    this.#changing = run.catch(() => undefined);
    return run;
  }

  async #set(change: ClientSettingsChange): Promise<ClientSettingsInfo> {
    const network = this.#c.cover.networkRates;
    const raise: NonNullable<Parameters<typeof updateClientConfigFile>[1]['raise']> = {};
    for (const k of ['lambdaP', 'lambdaL', 'lambdaD'] as const) {
      const v = change[k];
      if (v === undefined) continue;
      if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_RAISED_RATE)) {
        throw new ClientError('bad-request', `${RATE_NAMES[k]} must be a rate from 0 to ${MAX_RAISED_RATE} packets a second, or null to remove your raise`);
      }
      if (v !== null && network && v < network[k]) {
        throw new ClientError(
          'below-network',
          `${RATE_NAMES[k]} ${v}/s is below the network's ${network[k]}/s: you may only raise your cover rates (every client sends at least the network's, so that none stands out); remove your raise to send at the network's rate`,
        );
      }
      raise[k] = v;
    }
    if (change.readReceipts !== undefined && typeof change.readReceipts !== 'boolean') throw new ClientError('bad-request', 'readReceipts must be true or false');
    if (change.readReceipts === undefined && Object.keys(raise).length === 0) return this.get();
    let written: ClientSettings;
    try {
      written = (await updateClientConfigFile(this.#init.configPath, { ...(change.readReceipts !== undefined ? { readReceipts: change.readReceipts } : {}), raise })).client;
    } catch (err) {
      if (err instanceof ConfigError) throw new ClientError('unavailable', `cannot save the settings: ${err.message}`);
      throw err;
    }
    // Applied as written: the file is what the next start reads.
    if (change.readReceipts !== undefined) this.#c.messenger.readReceipts = written.readReceipts ?? true;
    if (Object.keys(raise).length > 0) this.#c.cover.setRaise(written.raise);
    const now = this.get();
    this.#c.logger.info('settings changed', { readReceipts: now.readReceipts, raise: now.cover.raise, rates: now.cover.effective });
    return now;
  }
}
