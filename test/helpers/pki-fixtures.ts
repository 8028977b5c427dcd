// Deterministic keys and descriptors shared by the PKI tests (imported by the
// PKI and authority tests).
import { Ed25519PrivateKey } from '../../protocol/crypto/ed25519.js';
import { signDescriptor, type Descriptor, type NodeRole, type SignedDescriptor } from '../../protocol/pki/descriptor.js';
import type { NetworkParams } from '../../protocol/pki/document.js';

export function keyFor(label: number): Ed25519PrivateKey {
  return Ed25519PrivateKey.fromSeed(new Uint8Array(32).fill(label & 0xff).map((b, i) => (b + i) & 0xff));
}

export function sphinxKey(label: number, epoch: number): Uint8Array {
  return new Uint8Array(32).map((_, i) => (label * 7 + epoch * 13 + i + 1) & 0xff || 1);
}

export function descriptorFor(label: number, epoch: number, role: NodeRole = 'mix', version = 1): Descriptor {
  const key = keyFor(label);
  return {
    identityKey: key.publicKey,
    name: `node-${label}`,
    role,
    addresses: [`/ip4/10.0.0.${label}/tcp/4000`],
    epoch,
    sphinxKeys: new Map([
      [epoch, sphinxKey(label, epoch)],
      [epoch + 1, sphinxKey(label, epoch + 1)],
    ]),
    version,
  };
}

export function signedFor(label: number, epoch: number, role: NodeRole = 'mix', version = 1): SignedDescriptor {
  return signDescriptor(descriptorFor(label, epoch, role, version), keyFor(label));
}

export const PARAMS: NetworkParams = {
  mu: 2,
  lambdaP: 1.5,
  lambdaL: 0.25,
  lambdaD: 0.25,
  lambdaM: 0.1,
  geometry: { nike: 'X25519', nrHops: 5, userForwardPayloadLength: 2000, withSURB: true },
  genesisMs: 1_700_000_000_000,
  epochDurationMs: 1_200_000,
  layers: 3,
};

/** `d` declaring the nodes `labels` (its own label allowed, left out) as its family, sorted as a descriptor carries them. */
export function withFamily(d: Descriptor, labels: number[]): Descriptor {
  const keys = labels.map((l) => keyFor(l).publicKey).filter((k) => Buffer.compare(k, d.identityKey) !== 0);
  return { ...d, family: keys.sort((a, b) => Buffer.compare(a, b)) };
}

/** signedFor, with a family declaration. */
export function signedWithFamily(label: number, epoch: number, role: NodeRole, family: number[]): SignedDescriptor {
  return signDescriptor(withFamily(descriptorFor(label, epoch, role), family), keyFor(label));
}
