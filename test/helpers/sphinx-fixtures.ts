// Nodes and paths for Sphinx tests.

import assert from 'node:assert/strict';
import { X25519PrivateKey } from '../../protocol/crypto/x25519.js';
import { delay, recipient, surbReply, type LastHop, type PathHop, type RandomSource, type UnwrapResult } from '../../protocol/sphinx/index.js';

export interface TestNode {
  id: Uint8Array;
  key: X25519PrivateKey;
}

export function makeNodes(count: number, random: RandomSource): TestNode[] {
  return Array.from({ length: count }, () => ({ id: random(32), key: X25519PrivateKey.fromBytes(random(32)) }));
}

/** A path through `nodes`: a delay at every hop, a recipient (and a SURB reply id when `surbId` is given) at the last. */
export function makePath(nodes: TestNode[], random: RandomSource, surbId?: Uint8Array): PathHop[] {
  return nodes.map((n, i) => {
    const last = i === nodes.length - 1;
    const delayMs = new DataView(random(4).buffer).getUint32(0) % 10_000;
    return {
      id: n.id,
      publicKey: n.key.publicKey,
      commands: last ? (surbId ? [recipient(random(32)), surbReply(surbId)] : [recipient(random(32))]) : [delay(delayMs)],
    };
  });
}

/** The packet a hop sends on, or null at a last hop (for loops that unwrap a packet to its end). */
export function nextPacket(r: UnwrapResult): Uint8Array | null {
  return r.kind === 'forward' ? r.packet : null;
}

/** The packet a hop forwards; fails the test at a last hop. */
export function forwardedPacket(r: UnwrapResult): Uint8Array {
  assert.ok(r.kind === 'forward', `a forward hop, not a ${r.kind} hop`);
  return r.packet;
}

/** A last hop's result (its payload, recipient and SURB id); fails the test at a forward hop. */
export function lastHop(r: UnwrapResult): LastHop {
  assert.ok(r.kind !== 'forward', 'a last hop, not a forward hop');
  return r;
}
