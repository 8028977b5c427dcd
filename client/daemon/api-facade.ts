// The API the front ends call over the local socket (client/api.ts,
// docs/client-api.md): chat calls go to the messenger (group calls to its
// groups, client/groups/), status() gathers what
// every part of the daemon counts, rotateDeliveryId() spans the link, the
// profile and the contacts; the settings calls go to the daemon's settings
// (daemon-settings.ts), the passphrase and backup calls to the profile's
// admin (profile-admin.ts), the handle calls to the handle admin
// (handle-admin.ts), which also turns a handle given to contacts.add into
// the address it stands for.

import { toHex } from '../../protocol/bytes.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import type { ClientStreams } from '../../protocol/traffic/client-streams.js';
import type { Logger } from '../../runtime/log/logger.js';
import { ClientError, type ClientApi, type ClientStatus, type ContactInfo } from '../api.js';
import { newDeliveryId } from '../delivery-id.js';
import type { Messenger } from '../messenger.js';
import type { GatewayLinkLike } from '../net/gateway-link.js';
import type { Arq } from '../sender/arq.js';
import type { LoopMonitor } from '../traffic/loop-monitor.js';
import type { SendMeter } from '../traffic/send-meter.js';
import type { ClientEvents } from './client-events.js';
import type { ConnectionWatch } from './connection-watch.js';
import type { DaemonSettings } from './daemon-settings.js';
import type { HandleAdmin } from './handle-admin.js';
import type { ProfileAdmin } from './profile-admin.js';
import type { NetworkView } from './network-view.js';
import type { PacketScheduler } from './packet-scheduler.js';
import type { GatewayWaitingRoom } from './waiting-room.js';
import { fromBase64, toBase64 } from '../../protocol/util/base64.js';
import { checkContactName } from '../messenger/contact-names.js';

export interface ApiFacadeInit {
  profileDir: string;
  /** Our address, encoded (chaff1…). */
  address: string;
  fetchIntervalMs: number;
}

export interface ApiFacadeComponents {
  clock: Clock;
  logger: Logger;
  messenger: Messenger;
  link: Pick<GatewayLinkLike, 'stats' | 'gateway' | 'connected' | 'register'>;
  arq: Pick<Arq, 'stats' | 'has'>;
  loops: Pick<LoopMonitor, 'stats' | 'decoyStats'>;
  streams: Pick<ClientStreams<unknown>, 'rates'>;
  view: Pick<NetworkView, 'current' | 'epochStartMs'>;
  waiting: Pick<GatewayWaitingRoom, 'count'>;
  scheduler: Pick<PacketScheduler, 'sent'>;
  meter: Pick<SendMeter, 'rateBps'>;
  events: ClientEvents;
  /** What the daemon holds of the network (status().connection). */
  connection?: Pick<ConnectionWatch, 'state'>;
  /** The settings a front end changes while the daemon runs (settings.get, settings.set). */
  settings: Pick<DaemonSettings, 'get' | 'set'>;
  /** The profile's passphrase and backup (profile.passphrase, profile.backup, passphrase.strength); without it those answer 'unavailable'. */
  profile?: Pick<ProfileAdmin, 'strength' | 'changePassphrase' | 'backup'>;
  /** Our short handle, and contacts added by handle (handle.*, contacts.add with name@gateway); without it those answer 'unavailable'. */
  handles?: Pick<HandleAdmin, 'info' | 'handle' | 'claim' | 'release' | 'addressOf'>;
}

export class ApiFacade {
  readonly #init: ApiFacadeInit;
  readonly #c: ApiFacadeComponents;
  readonly #startedMs: number;

  constructor(components: ApiFacadeComponents, init: ApiFacadeInit) {
    this.#init = init;
    this.#c = components;
    this.#startedMs = components.clock.now();
  }

  status(): ClientStatus {
    const { messenger, view } = this.#c;
    const link = this.#c.link.stats();
    const arq = this.#c.arq.stats();
    const counts = this.#c.scheduler.sent();
    const topology = view.current();
    const now = this.#c.clock.now();
    const waiting = this.#c.waiting.count((k) => this.#c.arq.has(k));
    return {
      profile: this.#init.profileDir,
      address: this.#init.address,
      ...(this.#c.handles ? { handle: this.#c.handles.handle() } : {}),
      gateway: { name: this.#c.link.gateway.name, nodeId: toHex(this.#c.link.gateway.nodeId), connected: this.#c.link.connected },
      epoch: topology?.epoch ?? null,
      documentAgeMs: topology ? Math.max(0, now - view.epochStartMs(topology.epoch)) : null,
      queue: { queued: messenger.queuedFragments - arq.inFlight - waiting, inFlight: arq.inFlight, failed: messenger.failedMessages, waitingForGateway: waiting },
      rates: { ...this.#c.streams.rates, mu: topology?.document.params.mu ?? 0, fetchPerSecond: 1000 / this.#init.fetchIntervalMs },
      traffic: {
        packetsSent: { real: counts.real, decoy: counts.decoy, drop: counts.drop, loop: counts.loop },
        bytesSent: link.bytesSent,
        bytesReceived: link.bytesReceived,
        sendRateBps: this.#c.meter.rateBps(),
        retransmissions: arq.retransmissions,
        acksReceived: arq.acked,
      },
      loops: (({ sent, returned, late, lost, outstanding }) => ({ sent, returned, late, lost, outstanding }))(this.#c.loops.stats()),
      decoys: this.#c.loops.decoyStats(),
      uptimeMs: now - this.#startedMs,
      ...(this.#c.connection ? { connection: this.#c.connection.state() } : {}),
    };
  }

  #profile(): NonNullable<ApiFacadeComponents['profile']> {
    if (!this.#c.profile) throw new ClientError('unavailable', 'this daemon does not manage its profile through the API: use chaff client passphrase or export');
    return this.#c.profile;
  }

  #handles(): NonNullable<ApiFacadeComponents['handles']> {
    if (!this.#c.handles) throw new ClientError('unavailable', 'this daemon does not manage short handles');
    return this.#c.handles;
  }

  /**
   * contacts.add: a handle is looked up first (after the cheap checks, so
   * a lookup is not spent on a name that cannot be added), then the contact
   * is added with the address it names, exactly as if that had been pasted.
   */
  async #addContact(name: string, address: string): Promise<ContactInfo> {
    const m = this.#c.messenger;
    if (typeof address === 'string' && address.includes('@')) {
      checkContactName(name);
      if (m.listContacts().some((c) => c.name === name)) throw new ClientError('contact-exists', `a contact named ${JSON.stringify(name)} exists already`);
      address = await this.#handles().addressOf(address);
    }
    return m.addContact(name, address);
  }

  api(): ClientApi {
    const m = this.#c.messenger;
    return {
      status: async () => this.status(),
      address: async () => ({ address: this.#init.address }),
      addContact: (name, address) => this.#addContact(name, address),
      listContacts: async () => m.listContacts(),
      removeContact: (name) => m.removeContact(name),
      acceptContactKey: (name, unverify) => m.acceptContactKey(name, unverify ?? false),
      rejectContactKey: (name) => m.rejectContactKey(name),
      markVerified: (name, verified) => m.markVerified(name, verified),
      sendText: async (contact, text) => {
        if (typeof text !== 'string') throw new ClientError('bad-request', 'text must be a string');
        return { message: await m.send(contact, { kind: 'text', text }) };
      },
      sendFile: async (contact, name, data) => ({ message: await m.send(contact, { kind: 'file', name, data: decodeFileData(data) }) }),
      history: async (contact, limit) => m.history(contact, limit),
      historyPage: async (contact, limit, before) => m.historyPage(contact, limit, before),
      inbox: async () => m.inbox(),
      markRead: (contact) => m.markRead(contact),
      fileData: async (id) => {
        const f = await m.fileData(id);
        return { name: f.name, data: toBase64(f.data) };
      },
      verify: async (contact) => m.verify(contact),
      rotateDeliveryId: async () => {
        // Registered first, then kept and announced in one write: a failure at either step leaves gateway, profile and contacts agreeing on one id or the other.
        const id = newDeliveryId();
        if (!this.#c.link.connected) throw new ClientError('unavailable', 'the gateway is not reachable now: rotate the delivery id once the daemon is online (chaff client status)');
        await this.#c.link.register({ deliveryId: id });
        await m.announceDeliveryId(id);
        this.#c.logger.info('delivery id rotated; contacts get the new one in their next card');
        return { contacts: m.listContacts().length };
      },
      // Short handles (docs/client.md §Short handles).
      handle: async () => this.#handles().info(),
      claimHandle: (name) => this.#handles().claim(name),
      releaseHandle: () => this.#handles().release(),
      groupCreate: (name) => m.groups.create(name),
      groupInvite: (group, contact) => m.groups.invite(group, contact),
      groupAccept: (group) => m.groups.accept(group),
      groupDecline: (group) => m.groups.decline(group),
      groupLeave: (group) => m.groups.leave(group),
      groupRemove: (group, member) => m.groups.remove(group, member),
      groupRename: (group, name) => m.groups.rename(group, name),
      groupSendText: async (group, text) => {
        if (typeof text !== 'string') throw new ClientError('bad-request', 'text must be a string');
        return m.groups.post(group, { kind: 'text', text });
      },
      groupSendFile: async (group, name, data) => m.groups.post(group, { kind: 'file', name, data: decodeFileData(data) }),
      groupList: async () => m.groups.list(),
      groupHistory: async (group, limit) => m.groups.history(group, limit),
      groupMarkRead: (group) => m.groups.markRead(group),
      // Blocking (docs/client.md §Blocking).
      block: (address) => m.block(address),
      unblock: (address) => m.unblock(address),
      listBlocked: async () => m.listBlocked(),
      // Settings (docs/client.md §Configuration).
      settings: async () => this.#c.settings.get(),
      setSettings: (change) => this.#c.settings.set(change ?? {}),
      // The profile's passphrase and backup: the passphrases pass through, never kept or logged.
      passphraseStrength: async (passphrase) => this.#profile().strength(passphrase),
      changePassphrase: async (current, next, acceptWeak) => this.#profile().changePassphrase(current, next, acceptWeak === true),
      backup: async (passphrase, acceptWeak) => this.#profile().backup(passphrase, acceptWeak === true),
      subscribe: (listener) => this.#c.events.subscribe(listener),
    };
  }
}

/** A file's base64 from the API, strictly: Node's own decoder would skip bad characters and send other bytes than the caller's. */
function decodeFileData(data: string): Uint8Array {
  try {
    return fromBase64(data, 'file data');
  } catch (err) {
    throw new ClientError('bad-request', (err as Error).message);
  }
}
