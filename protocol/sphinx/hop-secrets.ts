// The per-hop shared secrets and group elements of a Sphinx header
// (docs/sphinx.md §Header creation cost).
//
//   hop i shares  s_i = x·b_0⋯b_{i−1}·P_i   and sees  α_i = x·b_0⋯b_{i−1}·G
//
// Two ways to compute the same bytes:
// - the ladder (Katzenpost's createHeader): X25519(x, P_i), then one X25519
//   per earlier blinding factor, and α_i = X25519(b_{i−1}, α_{i−1}): for 5
//   hops 1 + 5 + 10 + 4 = 20 scalar multiplications;
// - by scalars: multiply the clamped scalars modulo l first, then one
//   variable-base X25519 for s_i and one fixed-base for α_i per hop
//   (x25519-scalars.ts explains why that is exact): 5 + 5, the fixed-base
//   ones at about half the price. It needs libsodium (raw scalars; node:crypto
//   makes a key object per scalar) and hop keys on the curve, not its twist;
//   otherwise the ladder runs.
// test/protocol/sphinx/hop-secrets.test.ts checks that both give the same
// bytes, including for keys with a torsion part, twist keys and low-order keys.

import { toHex, zeroize } from '../bytes.js';
import { X25519PrivateKey, x25519, x25519BaseSodium, x25519Sodium } from '../crypto/x25519.js';
import { clampedFormOf, clampedModL, mulModL, onCurve } from '../crypto/x25519-scalars.js';
import { deriveKeys, wipeKeys, type PacketKeys } from './kdf.js';

export interface HopSecrets {
  /** One per hop, in path order. */
  readonly keys: PacketKeys[];
  /** α_i, one per hop. */
  readonly alphas: Uint8Array[];
}

/** Hop i's public key, as the two paths need it. */
interface HopKey {
  readonly publicKey: Uint8Array;
}

/** The ladder: Katzenpost's order of operations. Throws LowOrderPointError. */
export function hopSecretsByLadder(path: readonly HopKey[], ephemeralScalar: Uint8Array): HopSecrets {
  const ephemeral = X25519PrivateKey.fromBytes(ephemeralScalar);
  try {
    const keys: PacketKeys[] = [];
    const alphas: Uint8Array[] = [ephemeral.publicKey];
    for (let i = 0; i < path.length; i++) {
      let secret = ephemeral.sharedSecret(path[i].publicKey);
      for (let j = 0; j < i; j++) {
        const blinded = x25519(keys[j].blindingFactor, secret);
        zeroize(secret);
        secret = blinded;
      }
      keys.push(deriveKeys(secret));
      zeroize(secret);
      if (i > 0) alphas.push(x25519(keys[i - 1].blindingFactor, alphas[i - 1]));
    }
    return { keys, alphas };
  } finally {
    ephemeral.destroy();
  }
}

/** Which public keys are curve points (not twist points); bounded: cleared when full. */
const curveMembership = new Map<string, boolean>();
const CURVE_MEMBERSHIP_LIMIT = 4096;

function isCurvePoint(publicKey: Uint8Array): boolean {
  const key = toHex(publicKey);
  let known = curveMembership.get(key);
  if (known === undefined) {
    if (curveMembership.size >= CURVE_MEMBERSHIP_LIMIT) curveMembership.clear();
    known = onCurve(publicKey);
    curveMembership.set(key, known);
  }
  return known;
}

/**
 * By scalars, or null when this path cannot take it (no libsodium, a hop key
 * on the twist, or a product with no clamped form): the caller runs the
 * ladder. Throws LowOrderPointError like the ladder.
 */
export function hopSecretsByScalars(path: readonly HopKey[], ephemeralScalar: Uint8Array): HopSecrets | null {
  const multiply = x25519Sodium;
  const base = x25519BaseSodium;
  if (!multiply || !base) return null;
  // Hop 0 uses x itself, so only later hops' keys must be curve points.
  for (let i = 1; i < path.length; i++) if (!isCurvePoint(path[i].publicKey)) return null;

  const keys: PacketKeys[] = [];
  const alphas: Uint8Array[] = [];
  let product = clampedModL(ephemeralScalar);
  try {
    for (let i = 0; i < path.length; i++) {
      let scalar: Uint8Array | null;
      if (i === 0) scalar = Uint8Array.from(ephemeralScalar);
      else {
        product = mulModL(product, clampedModL(keys[i - 1].blindingFactor));
        scalar = clampedFormOf(product);
        if (!scalar) return wipeAll(keys);
      }
      try {
        alphas.push(base(scalar));
        const secret = multiply(scalar, path[i].publicKey);
        keys.push(deriveKeys(secret));
        zeroize(secret);
      } finally {
        zeroize(scalar);
      }
    }
  } catch (err) {
    wipeAll(keys);
    throw err;
  }
  return { keys, alphas };
}

function wipeAll(keys: readonly PacketKeys[]): null {
  for (const k of keys) wipeKeys(k);
  return null;
}

/** The hop secrets by scalars where possible, else by the ladder: the same bytes either way. */
export function hopSecrets(path: readonly HopKey[], ephemeralScalar: Uint8Array): HopSecrets {
  return hopSecretsByScalars(path, ephemeralScalar) ?? hopSecretsByLadder(path, ephemeralScalar);
}
