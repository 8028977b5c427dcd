// Nodes and paths for Sphinx tests.

import { X25519PrivateKey } from '../../protocol/crypto/x25519.js';
import { delay, recipient, surbReply, type PathHop, type RandomSource } from '../../protocol/sphinx/index.js';

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
