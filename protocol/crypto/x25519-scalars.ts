// Products of X25519 scalars, for building a Sphinx header with one variable-
// base scalar multiplication per hop instead of i + 1 (docs/sphinx.md §Header
// creation cost).
//
// X25519(k, u) is u(clamp(k)·P) for the curve point P with u-coordinate u
// (RFC 7748 §5). The curve's group is the product of the prime-order subgroup
// (order l = 2^252 + 27742317777372353535851937790883648493) and an 8-torsion
// part; every clamped scalar is a multiple of 8, so after one clamped
// multiplication only the prime-order part is left and further scalars act
// modulo l. Hence, for P on the curve,
//
//   X25519(b_{i−1}, … X25519(b_0, X25519(x, P)))  =  X25519(k, P)
//
// for any k in clamped form (bit 254 set, bits 255 and 0–2 clear) with
// k ≡ ±clamp(x)·clamp(b_0)⋯clamp(b_{i−1}) (mod l); the sign does not matter
// because u(−Q) = u(Q). Every residue c has such a k: with t = c/8 mod l,
// k = 8t is in clamped form when 2^251 ≤ t < 2^252, and otherwise
// k = 8(l − t) is, except for t ≤ l − 2^252 (a chance of about 2^−127 per
// residue, where `clampedFormOf` returns null and the caller takes the
// ladder). None of this holds on the quadratic twist, whose group has
// another order, so `onCurve` tells the two apart and the caller multiplies
// twist points the long way.
//
// The arithmetic modulo l and p is @noble/curves' (BigInt). Unlike the byte
// arrays elsewhere, a BigInt cannot be wiped, and BigInt multiplication is not
// constant-time: what it holds is the product of a packet's one-time ephemeral
// scalar and its blinding factors, used for that packet only.

import { FpIsSquare } from '@noble/curves/abstract/modular.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { abytes } from '../bytes.js';

const Fn = ed25519.Point.Fn; // integers modulo l
const Fp = ed25519.Point.Fp; // the field, p = 2^255 − 19
const L = Fn.ORDER;
const TWO_251 = 1n << 251n;
const TWO_252 = 1n << 252n;
const INVERSE_OF_8 = Fn.inv(8n);
const MONTGOMERY_A = 486662n;

function checkScalar(bytes: Uint8Array, what: string): void {
  abytes(bytes, 32, `x25519-scalars: ${what}`, (message) => new RangeError(message));
}

/** clamp(k) mod l, for a 32-byte X25519 scalar k (RFC 7748 §5 decodeScalar25519). */
export function clampedModL(scalar: Uint8Array): bigint {
  checkScalar(scalar, 'scalar');
  const clamped = Uint8Array.from(scalar);
  clamped[0] &= 248;
  clamped[31] &= 127;
  clamped[31] |= 64;
  const value = bytesToNumberLE(clamped);
  clamped.fill(0);
  return Fn.create(value);
}

/** a·b mod l. */
export function mulModL(a: bigint, b: bigint): bigint {
  return Fn.mul(a, b);
}

/**
 * A 32-byte scalar k, already in clamped form, with k ≡ ±c (mod l); null in
 * the ~2^−127 case where neither sign has one.
 */
export function clampedFormOf(c: bigint): Uint8Array | null {
  const t = Fn.mul(Fn.create(c), INVERSE_OF_8);
  for (const candidate of [t, Fn.neg(t)]) {
    if (candidate >= TWO_251 && candidate < TWO_252) return numberToBytesLE(8n * candidate, 32);
  }
  return null;
}

/**
 * Whether the u-coordinate `u` (decoded as X25519 does: bit 255 ignored,
 * reduced mod p) is that of a point on Curve25519 rather than on its twist:
 * u³ + A·u² + u is a square (or zero) mod p. About 1 ms (a BigInt
 * exponentiation): callers cache the answer per key.
 */
export function onCurve(u: Uint8Array): boolean {
  checkScalar(u, 'u-coordinate');
  const masked = Uint8Array.from(u);
  masked[31] &= 127;
  const x = Fp.create(bytesToNumberLE(masked));
  const x2 = Fp.sqr(x);
  return FpIsSquare(Fp, Fp.add(Fp.add(Fp.mul(x2, x), Fp.mul(MONTGOMERY_A, x2)), x));
}

/** l, for tests. */
export const GROUP_ORDER = L;
