// `chaff client init`: creates a profile (docs/client.md §Getting started).
// It fetches the network's current document (verified against the
// authorities' threshold; a network that has not published it yet is waited
// for, document-wait.ts), picks a gateway, registers a new mailbox there,
// and writes the profile: identity keys sealed in the store, client.toml in
// clear (nothing secret in it).

import { mkdirSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { fromHex, toHex } from '../protocol/bytes.js';
import { addressOf, encodeAddress } from '../protocol/e2ee/address.js';
import { generateIdentity, serializeIdentity, zeroizeIdentity } from '../protocol/e2ee/identity.js';
import type { NodeEntry } from '../protocol/pki/document.js';
import { chooseNode, NodeChoiceError } from '../protocol/pki/node-choice.js';
import { systemClock } from '../runtime/clock.js';
import { authorityPeers } from '../runtime/pki/authority-peers.js';
import { PkiClient, type VerifiedDocument } from '../runtime/pki/pki-client.js';
import { ClientError } from './api.js';
import { CLIENT_CONFIG_FILE, clientToml, DEFAULT_CLIENT_SETTINGS, loadNetworkFile } from './config.js';
import { DEFAULT_DOCUMENT_WAIT_MS, waitForDocument, type DocumentWaitProgress } from './document-wait.js';
import { GatewayLink } from './net/gateway-link.js';
import { collectionsOf, COLLECTIONS } from './state.js';
import type { ScryptParams } from './store/passphrase.js';
import { createProfile } from './store/profile.js';

export interface InitOptions {
  profileDir: string;
  passphrase: string;
  /** Path to a network TOML listing [network] and [[authorities]]. */
  network: string;
  /**
   * Gateway node id or identity key (hex), or its name when no other node of
   * the document carries that name (an ambiguous name is refused, listing the
   * candidates' ids); default: one chosen at random from the current document.
   */
  gateway?: string;
  /** A single-use invite token from the gateway's operator (a gateway with registration = "invite"). */
  inviteToken?: Uint8Array;
  /** Mailbox pull interval for client.toml (default 1 s). */
  fetchIntervalMs?: number;
  /** scrypt cost (tests use a small one); default N = 2^17. */
  scrypt?: ScryptParams;
  /** Longest wait for a network that has not published its document yet or does not answer yet (default 5 min; 0: one try). */
  waitMs?: number;
  /** Told about once a second while init waits for the document (the CLI's progress line). */
  onWaiting?: (progress: DocumentWaitProgress) => void;
}

function chooseGateway(doc: VerifiedDocument, wanted: string | undefined): NodeEntry {
  const gateways = doc.document.gateways;
  if (gateways.length === 0) throw new ClientError('unavailable', 'the network document lists no gateway');
  if (wanted === undefined) return gateways[Math.floor(Math.random() * gateways.length)];
  try {
    return chooseNode(doc.document, gateways, wanted, 'gateway');
  } catch (err) {
    if (err instanceof NodeChoiceError) throw new ClientError('bad-request', err.message);
    throw err;
  }
}

export async function initProfile(options: InitOptions): Promise<{ address: string; gateway: string }> {
  const network = loadNetworkFile(options.network);
  mkdirSync(options.profileDir, { recursive: true, mode: 0o700 });
  const key = await generateKeyPair('Ed25519');
  const host = await GatewayLink.createHost(key);
  let gateway: NodeEntry;
  let mailbox: Uint8Array;
  try {
    const pki = new PkiClient({ host }, { authorities: authorityPeers(network.authorities), dataDir: options.profileDir });
    await pki.start();
    const doc = await waitForDocument(pki, network, systemClock, { limitMs: options.waitMs ?? DEFAULT_DOCUMENT_WAIT_MS, ...(options.onWaiting ? { onWaiting: options.onWaiting } : {}) });
    gateway = chooseGateway(doc, options.gateway);
    const link = GatewayLink.over(host, key, gateway);
    try {
      await link.register(options.inviteToken ? { inviteToken: options.inviteToken } : {});
    } catch (err) {
      throw new ClientError('unavailable', `could not register with the gateway ${gateway.name}: ${(err as Error).message}`);
    }
    mailbox = link.mailboxId;
  } finally {
    await Promise.resolve(host.stop()).catch(() => undefined);
  }

  const store = await createProfile(options.profileDir, options.passphrase, { collections: COLLECTIONS, ...(options.scrypt ? { scrypt: options.scrypt } : {}) });
  const identity = generateIdentity();
  try {
    const col = collectionsOf(store);
    await store.batch().put(col.profile, 'identity', serializeIdentity(identity)).put(col.profile, 'libp2p', privateKeyToProtobuf(key)).write({ sync: true });
    const address = encodeAddress(addressOf(identity, fromHex(toHex(gateway.nodeId)), mailbox));
    const tomlPath = join(options.profileDir, CLIENT_CONFIG_FILE);
    await writeFile(
      tomlPath,
      clientToml({
        network,
        client: { ...DEFAULT_CLIENT_SETTINGS, gateway: toHex(gateway.nodeId), gatewayName: gateway.name, ...(options.fetchIntervalMs ? { fetchIntervalMs: options.fetchIntervalMs } : {}) },
      }),
      { mode: 0o600 },
    );
    await chmod(tomlPath, 0o600);
    return { address, gateway: gateway.name };
  } finally {
    zeroizeIdentity(identity);
    await store.close();
  }
}
