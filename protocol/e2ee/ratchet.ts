// The Double Ratchet with header encryption ("The Double Ratchet Algorithm",
// rev 1, 2016, §3 and §4; docs/e2ee.md §Double Ratchet). The state variables
// and functions follow §4 by name: RatchetInitAliceHE / RatchetInitBobHE,
// RatchetEncryptHE, RatchetDecryptHE, TrySkippedMessageKeysHE, DecryptHeader,
// SkipMessageKeysHE, DHRatchetHE. KDFs in kdf.ts, header format in header.ts.
//
// Choices the spec leaves open:
//   - AEAD: XChaCha20-Poly1305. The body key is derived from the message key
//     (kdf.ts messageAeadKey); body and header nonces are random, so even a
//     rolled-back state that reuses a message key never repeats a nonce.
//     Body associated data = AD (X3DH) ‖ encrypted header.
//   - MAX_SKIP (§3.5) bounds the keys skipped in one chain by one message; a
//     second bound caps all stored skipped keys, evicting the oldest.
//   - Decryption is transactional (§3.5 "if an exception is raised … discard
//     any changes"): the new state is computed on a draft and committed only
//     after the body authenticates (and the caller's check accepts it).
//   - A message whose header opens under a key we hold but whose message key is
//     gone (already used, or evicted) is reported as 'replay' instead of being
//     fed to a chain it cannot belong to.
//   - Used message keys, replaced chain/root keys and replaced ratchet private
//     keys are wiped at once (forward secrecy: DR §6.1 secure deletion,
//     §6.4 deletion of skipped message keys).
//
// Message body (plaintext length p + 40 bytes):
//   offset  size  field
//        0    24  random nonce
//       24     p  XChaCha20-Poly1305(body key, nonce, plaintext, AD ‖ encrypted header)
//     24+p    16  Poly1305 tag
//
// Stored form (serialize), 306 + 68·k bytes, all integers u32 big-endian:
//   offset  size  field
//        0     1  version = 0x01
//        1     1  flags: bit0 DHr, bit1 CKs, bit2 CKr, bit3 HKs, bit4 HKr present (absent = 32 zero bytes)
//        2    32  DHs private key
//       34    32  DHr (peer's ratchet public key)
//       66    32  RK
//       98    32  CKs
//      130    32  CKr
//      162    32  HKs
//      194    32  HKr
//      226    32  NHKs
//      258    32  NHKr
//      290     4  Ns
//      294     4  Nr
//      298     4  PN
//      302     4  k, the number of skipped message keys
//      306  68·k  k × (header key 32 ‖ N 4 ‖ message key 32), oldest first

import { concatBytes, ctEqual, ctIsZero, zeroize } from '../bytes.js';
import { X25519_KEY_LENGTH, X25519PrivateKey } from '../crypto/x25519.js';
import { AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH, aeadDecrypt, aeadEncrypt } from './aead.js';
import { E2eeError } from './errors.js';
import { decryptHeader, encryptHeader, ENCRYPTED_HEADER_BYTES, type RatchetHeader } from './header.js';
import { headerNonces } from './header-nonce.js';
import { kdfChain, kdfRoot, messageAeadKey, type X3dhKeys } from './kdf.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { SkippedKeys } from './skipped-keys.js';

export const RATCHET_STATE_VERSION = 0x01;
/** Body bytes beyond the plaintext: nonce 24 + tag 16. */
export const MESSAGE_BODY_OVERHEAD = AEAD_NONCE_LENGTH + AEAD_TAG_LENGTH;
const FIXED_STATE_BYTES = 306;
const SKIPPED_ENTRY_BYTES = 68;
const KEY = 32;
const U32_MAX = 0xffffffff;
/** Message numbers before Nr whose header nonces stay indexed (acceptedHeaderNonces). */
const REPLAY_WINDOW = 64;

export interface RatchetLimits {
  /** MAX_SKIP (§3.5): most message keys one incoming message may make us skip in one chain. */
  readonly maxSkip: number;
  /** Most skipped message keys stored in total; the oldest are evicted beyond it. */
  readonly maxSkippedTotal: number;
}

export const DEFAULT_RATCHET_LIMITS: RatchetLimits = { maxSkip: 1000, maxSkippedTotal: 2000 };

export interface RatchetOptions {
  readonly random?: RandomSource;
  readonly limits?: RatchetLimits;
}

/** One encrypted message: the 80-byte encrypted header and the body (plaintext length + 40). */
export interface RatchetMessage {
  readonly header: Uint8Array;
  readonly body: Uint8Array;
}

/** The §4 state variables (MKSKIPPED lives in SkippedKeys). Byte arrays are never mutated in place, only replaced. */
interface State {
  dhs: X25519PrivateKey;
  dhr: Uint8Array | null;
  rk: Uint8Array;
  cks: Uint8Array | null;
  ckr: Uint8Array | null;
  ns: number;
  nr: number;
  pn: number;
  hks: Uint8Array | null;
  hkr: Uint8Array | null;
  nhks: Uint8Array;
  nhkr: Uint8Array;
}

const SECRET_FIELDS = ['rk', 'cks', 'ckr', 'hks', 'hkr', 'nhks', 'nhkr'] as const;

/** Wipes the secrets of `from` that `to` no longer holds (replaced keys; or a discarded draft's new keys). */
function wipeReplaced(from: State, to: State): void {
  const kept = new Set<Uint8Array>();
  for (const f of SECRET_FIELDS) {
    const v = to[f];
    if (v) kept.add(v);
  }
  for (const f of SECRET_FIELDS) {
    const v = from[f];
    if (v && !kept.has(v)) zeroize(v);
  }
  if (from.dhs !== to.dhs) from.dhs.destroy();
}

function checkLimits(limits: RatchetLimits): RatchetLimits {
  const ok = (v: number) => Number.isSafeInteger(v) && v >= 0;
  if (!ok(limits.maxSkip) || !ok(limits.maxSkippedTotal)) throw new RangeError('ratchet: limits must be non-negative integers');
  return { maxSkip: limits.maxSkip, maxSkippedTotal: limits.maxSkippedTotal };
}

function freshKeyPair(random: RandomSource): X25519PrivateKey {
  const secret = random(X25519_KEY_LENGTH);
  try {
    return X25519PrivateKey.fromBytes(secret);
  } finally {
    zeroize(secret);
  }
}

/** DH with the peer's ratchet key; a small-order key from the peer is a typed error. */
function ratchetDh(own: X25519PrivateKey, peer: Uint8Array): Uint8Array {
  try {
    return own.sharedSecret(peer);
  } catch {
    throw new E2eeError('malformed', "ratchet: the peer's ratchet key is a low-order point");
  }
}

export class DoubleRatchet {
  #s: State;
  readonly #skipped: SkippedKeys;
  readonly #random: RandomSource;
  #limits: RatchetLimits;

  private constructor(state: State, skipped: SkippedKeys, options: RatchetOptions = {}) {
    this.#s = state;
    this.#skipped = skipped;
    this.#random = options.random ?? systemRandom;
    this.#limits = checkLimits(options.limits ?? DEFAULT_RATCHET_LIMITS);
  }

  /**
   * RatchetInitAliceHE: the X3DH initiator, who knows the responder's signed
   * prekey (the responder's first ratchet key, Double Ratchet §5.1).
   */
  static initInitiator(keys: X3dhKeys, responderPrekey: Uint8Array, options: RatchetOptions = {}): DoubleRatchet {
    const random = options.random ?? systemRandom;
    const dhs = freshKeyPair(random);
    const dhOut = ratchetDh(dhs, responderPrekey);
    const step = kdfRoot(keys.sharedKey, dhOut);
    zeroize(dhOut);
    const state: State = {
      dhs,
      dhr: Uint8Array.from(responderPrekey),
      rk: step.rootKey,
      cks: step.chainKey,
      ckr: null,
      ns: 0,
      nr: 0,
      pn: 0,
      hks: Uint8Array.from(keys.headerKeyA),
      hkr: null,
      nhks: step.nextHeaderKey,
      nhkr: Uint8Array.from(keys.nextHeaderKeyB),
    };
    return new DoubleRatchet(state, new SkippedKeys(), { ...options, random });
  }

  /** RatchetInitBobHE: the X3DH responder, whose first ratchet key pair is its signed prekey (copied). */
  static initResponder(keys: X3dhKeys, ownPrekey: X25519PrivateKey, options: RatchetOptions = {}): DoubleRatchet {
    const raw = ownPrekey.toBytes();
    const dhs = X25519PrivateKey.fromBytes(raw);
    zeroize(raw);
    const state: State = {
      dhs,
      dhr: null,
      rk: Uint8Array.from(keys.sharedKey),
      cks: null,
      ckr: null,
      ns: 0,
      nr: 0,
      pn: 0,
      hks: null,
      hkr: null,
      nhks: Uint8Array.from(keys.nextHeaderKeyB),
      nhkr: Uint8Array.from(keys.headerKeyA),
    };
    return new DoubleRatchet(state, new SkippedKeys(), options);
  }

  /** True once a sending chain exists (the responder has none until the first message arrives). */
  get canSend(): boolean {
    return this.#s.cks !== null;
  }

  /** True once any message from the peer has been decrypted (a receiving chain exists). */
  get hasReceived(): boolean {
    return this.#s.ckr !== null;
  }

  /** How many skipped message keys are stored. */
  get skippedKeyCount(): number {
    return this.#skipped.size;
  }

  get limits(): RatchetLimits {
    return this.#limits;
  }

  /** Replaces the limits (a session opened by a stranger's first envelope is held to tighter ones for that envelope). */
  setLimits(limits: RatchetLimits): void {
    this.#limits = checkLimits(limits);
  }

  /**
   * The header nonces (header-nonce.ts) of every message this ratchet would
   * accept now, as runs of 24-byte nonces: each stored skipped key; in the
   * current receiving chain N = Nr … Nr + maxSkip (and the REPLAY_WINDOW
   * numbers before Nr, so that a copy of a recent message is named a
   * 'replay' rather than 'undecryptable'); and in the next one
   * N = 0 … maxSkip, but only once we have sent in our current chain (the
   * peer moves to its next chain only after it received our new ratchet key).
   */
  acceptedHeaderNonces(): Uint8Array[] {
    const s = this.#s;
    const out: Uint8Array[] = [];
    const byKey = new Map<Uint8Array, number[]>();
    for (const k of this.#skipped.entries()) {
      const list = byKey.get(k.headerKey);
      if (list) list.push(k.n);
      else byKey.set(k.headerKey, [k.n]);
    }
    for (const [hk, ns] of byKey) {
      let min = Infinity;
      let max = -Infinity;
      for (const n of ns) {
        min = Math.min(min, n);
        max = Math.max(max, n);
      }
      // One keystream for the group when its numbers are close (they usually run on), else one per key.
      if (max - min < 4 * ns.length + 64) {
        const nonces = headerNonces(hk, min, max - min + 1);
        for (const n of ns) out.push(nonces.subarray((n - min) * AEAD_NONCE_LENGTH, (n - min + 1) * AEAD_NONCE_LENGTH));
      } else {
        for (const n of ns) out.push(headerNonces(hk, n, 1));
      }
    }
    const window = this.#limits.maxSkip + 1;
    if (s.hkr) {
      const from = Math.max(0, s.nr - REPLAY_WINDOW);
      out.push(headerNonces(s.hkr, from, s.nr - from + window));
    }
    if (s.ns > 0) out.push(headerNonces(s.nhkr, 0, window));
    return out;
  }

  /** RatchetEncryptHE. */
  encrypt(plaintext: Uint8Array, ad: Uint8Array): RatchetMessage {
    const s = this.#s;
    if (!s.cks || !s.hks) throw new E2eeError('malformed', 'ratchet: no sending chain yet (the responder sends only after receiving)');
    if (s.ns >= U32_MAX) throw new E2eeError('malformed', 'ratchet: sending chain exhausted');
    const { chainKey, messageKey } = kdfChain(s.cks);
    const header = encryptHeader(s.hks, { dh: s.dhs.publicKey, pn: s.pn, n: s.ns });
    const key = messageAeadKey(messageKey);
    const nonce = this.#random(AEAD_NONCE_LENGTH);
    const body = concatBytes(nonce, aeadEncrypt(key, nonce, plaintext, concatBytes(ad, header)));
    zeroize(s.cks, messageKey, key);
    s.cks = chainKey;
    s.ns += 1;
    return { header, body };
  }

  /**
   * RatchetDecryptHE. Returns null when no header key of this ratchet opens
   * the header (the message is not for this session), leaving the state
   * untouched. Throws E2eeError — 'replay', 'tampered', 'too-many-skipped' or
   * 'malformed' — also leaving the state untouched. `check` may inspect the
   * plaintext and throw to reject it; the state then stays unchanged too.
   */
  tryDecrypt(encHeader: Uint8Array, body: Uint8Array, ad: Uint8Array, check?: (plaintext: Uint8Array) => void): Uint8Array | null {
    if (!(encHeader instanceof Uint8Array) || encHeader.length !== ENCRYPTED_HEADER_BYTES || !(body instanceof Uint8Array)) return null;
    const s = this.#s;

    // TrySkippedMessageKeysHE, one header AEAD per distinct stored header key.
    let currentHeader: RatchetHeader | null = null;
    for (const hk of this.#skipped.headerKeys()) {
      const header = decryptHeader(hk, encHeader);
      if (!header) continue;
      const stored = this.#skipped.find(hk, header.n);
      if (stored) {
        const plaintext = this.#decryptBody(stored.messageKey, encHeader, body, ad);
        check?.(plaintext);
        this.#skipped.delete(stored);
        return plaintext;
      }
      if (s.hkr && ctEqual(hk, s.hkr)) {
        currentHeader = header;
        break;
      }
      throw new E2eeError('replay', 'ratchet: message from an earlier chain whose key was already used or evicted');
    }

    // DecryptHeader.
    let header = currentHeader ?? (s.hkr ? decryptHeader(s.hkr, encHeader) : null);
    let dhRatchet = false;
    if (header) {
      if (header.n < s.nr) throw new E2eeError('replay', 'ratchet: message key already used or evicted (replayed or duplicate message)');
    } else {
      header = decryptHeader(s.nhkr, encHeader);
      if (!header) return null;
      dhRatchet = true;
    }

    const draft: State = { ...s };
    const newSkipped: Array<{ headerKey: Uint8Array; n: number; messageKey: Uint8Array }> = [];
    let messageKey: Uint8Array | undefined;
    let committed = false;
    try {
      if (dhRatchet) {
        this.#skipMessageKeys(draft, header.pn, newSkipped);
        this.#dhRatchet(draft, header);
      }
      this.#skipMessageKeys(draft, header.n, newSkipped);
      const step = kdfChain(draft.ckr!);
      messageKey = step.messageKey;
      this.#replaceReceivingChainKey(draft, step.chainKey);
      draft.nr += 1;
      const plaintext = this.#decryptBody(messageKey, encHeader, body, ad);
      check?.(plaintext);
      // Commit. The store copies the header keys, so add before wiping the replaced ones.
      for (const k of newSkipped) if (!this.#skipped.add(k.headerKey, k.n, k.messageKey)) zeroize(k.messageKey);
      this.#skipped.evictBeyond(this.#limits.maxSkippedTotal);
      wipeReplaced(s, draft);
      this.#s = draft;
      committed = true;
      return plaintext;
    } finally {
      zeroize(messageKey);
      if (!committed) {
        wipeReplaced(draft, s);
        for (const k of newSkipped) zeroize(k.messageKey);
      }
    }
  }

  /** As tryDecrypt, but a message for no key of this ratchet throws E2eeError('undecryptable'). */
  decrypt(encHeader: Uint8Array, body: Uint8Array, ad: Uint8Array, check?: (plaintext: Uint8Array) => void): Uint8Array {
    const plaintext = this.tryDecrypt(encHeader, body, ad, check);
    if (!plaintext) throw new E2eeError('undecryptable', 'ratchet: no header key of this session opens the message');
    return plaintext;
  }

  #decryptBody(messageKey: Uint8Array, encHeader: Uint8Array, body: Uint8Array, ad: Uint8Array): Uint8Array {
    const key = messageAeadKey(messageKey);
    const plaintext = body.length < MESSAGE_BODY_OVERHEAD ? null : aeadDecrypt(key, body.subarray(0, AEAD_NONCE_LENGTH), body.subarray(AEAD_NONCE_LENGTH), concatBytes(ad, encHeader));
    zeroize(key);
    if (!plaintext) throw new E2eeError('tampered', 'ratchet: the header opened but the body does not authenticate (modified in transit)');
    return plaintext;
  }

  /** Sets the draft's CKr, wiping the previous one if the draft itself made it (the committed one is wiped at commit). */
  #replaceReceivingChainKey(draft: State, next: Uint8Array): void {
    if (draft.ckr && draft.ckr !== this.#s.ckr) zeroize(draft.ckr);
    draft.ckr = next;
  }

  /** SkipMessageKeysHE on the draft; the keys go to `out`, stored only at commit. */
  #skipMessageKeys(draft: State, until: number, out: Array<{ headerKey: Uint8Array; n: number; messageKey: Uint8Array }>): void {
    if (draft.nr + this.#limits.maxSkip < until) {
      throw new E2eeError('too-many-skipped', `ratchet: message ${until} would skip ${until - draft.nr} keys (limit ${this.#limits.maxSkip})`);
    }
    if (!draft.ckr || !draft.hkr) return;
    while (draft.nr < until) {
      const step = kdfChain(draft.ckr);
      out.push({ headerKey: draft.hkr, n: draft.nr, messageKey: step.messageKey });
      this.#replaceReceivingChainKey(draft, step.chainKey);
      draft.nr += 1;
    }
  }

  /** DHRatchetHE on the draft. */
  #dhRatchet(draft: State, header: RatchetHeader): void {
    draft.pn = draft.ns;
    draft.ns = 0;
    draft.nr = 0;
    draft.hks = draft.nhks;
    draft.hkr = draft.nhkr;
    draft.dhr = header.dh;
    const receiveOut = ratchetDh(draft.dhs, header.dh);
    const receive = kdfRoot(draft.rk, receiveOut);
    zeroize(receiveOut);
    if (draft.ckr && draft.ckr !== this.#s.ckr) zeroize(draft.ckr);
    draft.ckr = receive.chainKey;
    draft.nhkr = receive.nextHeaderKey;
    draft.dhs = freshKeyPair(this.#random);
    const sendOut = ratchetDh(draft.dhs, header.dh);
    const send = kdfRoot(receive.rootKey, sendOut);
    zeroize(sendOut, receive.rootKey);
    draft.rk = send.rootKey;
    draft.cks = send.chainKey;
    draft.nhks = send.nextHeaderKey;
  }

  /** The stored form (see the header comment). It holds secret keys: encrypt it at rest. */
  serialize(): Uint8Array {
    const s = this.#s;
    const entries = this.#skipped.entries();
    const out = new Uint8Array(FIXED_STATE_BYTES + SKIPPED_ENTRY_BYTES * entries.length);
    const view = new DataView(out.buffer);
    out[0] = RATCHET_STATE_VERSION;
    out[1] = (s.dhr ? 1 : 0) | (s.cks ? 2 : 0) | (s.ckr ? 4 : 0) | (s.hks ? 8 : 0) | (s.hkr ? 16 : 0);
    const dhs = s.dhs.toBytes();
    out.set(dhs, 2);
    zeroize(dhs);
    const fields = [s.dhr, s.rk, s.cks, s.ckr, s.hks, s.hkr, s.nhks, s.nhkr];
    fields.forEach((f, i) => f && out.set(f, 34 + KEY * i));
    view.setUint32(290, s.ns);
    view.setUint32(294, s.nr);
    view.setUint32(298, s.pn);
    view.setUint32(302, entries.length);
    let o = FIXED_STATE_BYTES;
    for (const e of entries) {
      out.set(e.headerKey, o);
      view.setUint32(o + KEY, e.n);
      out.set(e.messageKey, o + KEY + 4);
      o += SKIPPED_ENTRY_BYTES;
    }
    return out;
  }

  /** Parses the stored form; throws E2eeError('malformed') on anything inconsistent. */
  static deserialize(bytes: Uint8Array, options: RatchetOptions = {}): DoubleRatchet {
    const bad = (why: string) => new E2eeError('malformed', `ratchet state: ${why}`);
    if (!(bytes instanceof Uint8Array) || bytes.length < FIXED_STATE_BYTES) throw bad('too short');
    if (bytes[0] !== RATCHET_STATE_VERSION) throw bad(`unknown version ${bytes[0]}`);
    const flags = bytes[1];
    if (flags & ~0x1f) throw bad('unknown flags');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = view.getUint32(302);
    if (bytes.length !== FIXED_STATE_BYTES + SKIPPED_ENTRY_BYTES * count) throw bad('length does not match the number of skipped keys');
    const field = (i: number, present = true): Uint8Array | null => {
      const v = bytes.slice(34 + KEY * i, 34 + KEY * (i + 1));
      if (present) return v;
      if (!ctIsZero(v)) throw bad('an absent field is not zero');
      return null;
    };
    const dhsRaw = bytes.slice(2, 34);
    const state: State = {
      dhs: X25519PrivateKey.fromBytes(dhsRaw),
      dhr: field(0, (flags & 1) !== 0),
      rk: field(1)!,
      cks: field(2, (flags & 2) !== 0),
      ckr: field(3, (flags & 4) !== 0),
      hks: field(4, (flags & 8) !== 0),
      hkr: field(5, (flags & 16) !== 0),
      nhks: field(6)!,
      nhkr: field(7)!,
      ns: view.getUint32(290),
      nr: view.getUint32(294),
      pn: view.getUint32(298),
    };
    zeroize(dhsRaw);
    if ((state.cks === null) !== (state.hks === null) || (state.ckr === null) !== (state.hkr === null)) {
      throw bad('a chain key without its header key (or the reverse)');
    }
    const skipped = new SkippedKeys();
    for (let i = 0, o = FIXED_STATE_BYTES; i < count; i++, o += SKIPPED_ENTRY_BYTES) {
      const added = skipped.add(bytes.subarray(o, o + KEY), view.getUint32(o + KEY), bytes.slice(o + KEY + 4, o + SKIPPED_ENTRY_BYTES));
      if (!added) throw bad('duplicate skipped key');
    }
    const ratchet = new DoubleRatchet(state, skipped, options);
    skipped.evictBeyond(ratchet.#limits.maxSkippedTotal);
    return ratchet;
  }

  /** Wipes every key of the state. The ratchet is unusable afterwards. */
  destroy(): void {
    const s = this.#s;
    zeroize(s.rk, s.cks ?? undefined, s.ckr ?? undefined, s.hks ?? undefined, s.hkr ?? undefined, s.nhks, s.nhkr);
    s.dhs.destroy();
    this.#skipped.clear();
  }
}
