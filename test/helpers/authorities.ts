// Real directory authorities for tests (the admission attacks, the service tests): AuthorityService
// instances on real libp2p hosts on 127.0.0.1, each with its own temp data
// folder and admission list (admissions.toml, written as an operator's
// `chaff node admit` would), on short epochs; or, for tests of the
// authorities' logic, on in-memory hosts (test/helpers/memory-host.ts) and
// whatever clock the test passes (a ManualClock).

import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey as Libp2pKey } from '@libp2p/interface';
import { toHex } from '../../protocol/bytes.js';
import type { NetworkParams } from '../../protocol/pki/document.js';
import { epochAt, epochStart } from '../../protocol/pki/epoch.js';
import { AuthorityService, type AuthorityServiceInit } from '../../node/authority/authority-service.js';
import { silentLogger, type Logger } from '../../runtime/log/logger.js';
import { systemClock } from '../../runtime/clock.js';
import type { Clock } from '../../protocol/traffic/clock.js';
import { createHost, type Host } from '../../runtime/net/host.js';
import type { MemoryHost, MemoryNetwork } from './memory-host.js';
import { peerIdOfIdentityKey, type AuthorityPeer } from '../../runtime/pki/authority-peers.js';
import { pkiSigningKey } from '../../runtime/pki/signing-key.js';
import { keyFor, PARAMS } from './pki-fixtures.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export interface TestAuthority {
  key: Libp2pKey;
  port: number;
  dir: string;
  peer: AuthorityPeer;
  /** Set for an authority on an in-memory network (no port; dialled by peer id). */
  network?: MemoryNetwork;
  host?: Host | MemoryHost;
  service?: AuthorityService;
}

/** Network parameters with `epochMs` epochs, the current one `intoMs` old. */
export function paramsNow(epochMs: number, intoMs: number): NetworkParams {
  return { ...PARAMS, epochDurationMs: epochMs, genesisMs: Date.now() - 10 * epochMs - intoMs };
}

/** Sleeps until fraction `f` of `epoch`. */
export function until(params: NetworkParams, epoch: number, f: number): Promise<void> {
  return sleep(epochStart(epoch, params) + f * params.epochDurationMs - Date.now());
}

export function currentEpoch(params: NetworkParams): number {
  return epochAt(Date.now(), params);
}

async function freePort(): Promise<number> {
  const h = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
  const port = Number(h.getMultiaddrs()[0].toString().split('/')[4]);
  await h.stop();
  return port;
}

export async function makeAuthorities(n: number, root: string): Promise<TestAuthority[]> {
  const out: TestAuthority[] = [];
  for (let i = 0; i < n; i++) {
    const key = await generateKeyPair('Ed25519');
    const port = await freePort();
    const identityKey = key.publicKey.raw;
    out.push({ key, port, dir: join(root, `auth-${i}`), peer: { name: `auth-${i}`, identityKey, peerId: peerIdOfIdentityKey(identityKey), addresses: [`/ip4/127.0.0.1/tcp/${port}`] } });
  }
  return out;
}

/** `n` authorities on an in-memory network: no ports, no TCP. */
export async function makeMemoryAuthorities(n: number, root: string, network: MemoryNetwork): Promise<TestAuthority[]> {
  const out: TestAuthority[] = [];
  for (let i = 0; i < n; i++) {
    const key = await generateKeyPair('Ed25519');
    const identityKey = key.publicKey.raw;
    out.push({ key, port: 0, network, dir: join(root, `auth-${i}`), peer: { name: `auth-${i}`, identityKey, peerId: peerIdOfIdentityKey(identityKey), addresses: [] } });
  }
  return out;
}

/** Writes the authority's admissions.toml: the fixture nodes `labels` (pki-fixtures keyFor) are admitted. */
export function admit(a: TestAuthority, labels: readonly number[]): void {
  mkdirSync(a.dir, { recursive: true });
  const tables = labels.map((l) => `[[admission]]\nidentity = "${toHex(keyFor(l).publicKey)}"\nstatus = "admitted"\n`);
  writeFileSync(join(a.dir, 'admissions.toml'), tables.join('\n'));
}

/** Starts `a` on its own host; `extra` adds init options, a logger (to see what it logs) and a clock (default: the system clock). */
export async function startAuthority(
  a: TestAuthority,
  all: TestAuthority[],
  params: NetworkParams,
  extra: Partial<AuthorityServiceInit> & { logger?: Logger; clock?: Clock } = {},
): Promise<AuthorityService> {
  a.host = a.network ? await a.network.host(a.key) : await createHost({ privateKey: a.key, listen: [`/ip4/127.0.0.1/tcp/${a.port}`] });
  const { logger = silentLogger, clock = systemClock, ...init } = extra;
  a.service = new AuthorityService({ host: a.host, clock, logger }, { identity: pkiSigningKey(a.key), authorities: all.map((x) => x.peer), params, dataDir: a.dir, ...init });
  await a.service.start();
  return a.service;
}

export async function stopAuthority(a: TestAuthority): Promise<void> {
  await a.service?.stop();
  await a.host?.stop();
  a.service = undefined;
  a.host = undefined;
}

export async function clientHost(): Promise<Host> {
  return createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
}

/** fetchDocument, retried a few times: a loaded machine can drop an idle loopback connection. */
export async function fetchWithRetry<T>(fetch: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fetch();
    } catch (err) {
      if (i >= attempts) throw err;
      await sleep(300);
    }
  }
}

/** Runs `fn` over `items`, `width` at a time. */
export async function inBatches<T>(items: readonly T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}
