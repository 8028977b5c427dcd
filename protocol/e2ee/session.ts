// A conversation with one peer, and the opening of incoming envelopes
// (docs/e2ee.md §7 Sessions and opening envelopes). A Session is created either by Session.initiate
// (from the peer's address: X3DH, then the Double Ratchet) or by openEnvelope
// when a first envelope from a new session arrives.
//
// openEnvelope, for every envelope the mailbox hands us (real or cover):
//   1. for each session the lookup names for the envelope's header nonce
//      (header-nonce.ts: the caller indexes the nonces each session accepts,
//      so this is one session, or none, whatever the number of sessions): try
//      its header keys (skipped-key header keys, HKr, NHKr) on bytes 0..80. A
//      header that opens names the session; the ratchet then decrypts
//      transactionally. Sessions whose keys do not open it are not touched.
//   2. otherwise, open it as a first envelope sealed to us. A first envelope
//      of a session we already have (same peer identity and same X3DH EK_A) is
//      handed to that session's ratchet: a second first envelope sent before
//      the initiator heard back decrypts normally, a copy of one already
//      received is a 'replay'. A new EK_A makes a new session (created: true),
//      even from a known peer (they lost their session state, or both sides
//      initiated at once); the client decides which session to keep. The
//      envelope that creates a session may skip at most `firstMaxSkip`
//      message keys (default 64), so one forged or hostile first envelope
//      parks at most that many keys; the session then has the usual limits.
//   3. otherwise: 'undecryptable' (someone else's envelope, or cover).
//
// Stored form (serialize), 612 bytes + ratchet state:
//   offset  size  field
//        0     1  version = 0x01
//        1     1  role: 0x01 initiator, 0x02 responder
//        2   225  peer's address
//      227    32  EK_A, the X3DH ephemeral public key (the session id)
//      259   128  AD (x3dh.ts)
//      387   225  own address (initiator: put into first envelopes) or 225 zero bytes (responder)
//      612     …  Double Ratchet state (ratchet.ts)

import { concatBytes, ctEqual, ctIsZero, toHex, zeroize } from '../bytes.js';
import { X25519_KEY_LENGTH } from '../crypto/x25519.js';
import { ADDRESS_BYTES, AddressError, addressFromBytes, addressToBytes, sameIdentity, verifyAddress, type Address } from './address.js';
import {
  firstPaddedLength,
  isValidEnvelopeLength,
  laterPaddedLength,
  MAX_ENVELOPE_LENGTH,
  maxPlaintextLength,
  MIN_ENVELOPE_LENGTH,
  openSealed,
  SEALED_BODY_OFFSET,
  SEALED_EPHEMERAL_OFFSET,
  SEALED_HEADER_OFFSET,
  sealToRecipient,
} from './envelope.js';
import { E2eeError } from './errors.js';
import { ENCRYPTED_HEADER_BYTES } from './header.js';
import { publicIdentityOf, type Identity } from './identity.js';
import { pad, unpad } from './padding.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { DEFAULT_RATCHET_LIMITS, DoubleRatchet } from './ratchet.js';
import { headerHint } from './header-nonce.js';
import { X3DH_AD_LENGTH, x3dhInitiate, x3dhRespond, type X3dhResult } from './x3dh.js';

export const SESSION_STATE_VERSION = 0x01;
const ROLE_INITIATOR = 0x01;
const ROLE_RESPONDER = 0x02;
const PEER_OFFSET = 2;
const EPHEMERAL_OFFSET = PEER_OFFSET + ADDRESS_BYTES;
const AD_OFFSET = EPHEMERAL_OFFSET + X25519_KEY_LENGTH;
const OWN_OFFSET = AD_OFFSET + X3DH_AD_LENGTH;
const RATCHET_OFFSET = OWN_OFFSET + ADDRESS_BYTES;

export type SessionRole = 'initiator' | 'responder';

/** Most message keys the envelope that creates a session may skip (its N): see the header comment. */
export const FIRST_ENVELOPE_MAX_SKIP = 64;

/** How openEnvelope finds the sessions an envelope may belong to. */
export interface SessionLookup {
  /** Sessions that may accept a later envelope whose header nonce has this hint (headerHint); a superset is fine. */
  byHint(hint: number): Iterable<Session>;
  /** The session with this id (hex EK_A), if any. */
  byId(id: string): Session | undefined;
}

export interface OpenOptions {
  /** Most message keys the envelope that creates a session may skip (default FIRST_ENVELOPE_MAX_SKIP). */
  firstMaxSkip?: number;
  /** Called with the number of sessions whose keys were tried on a later envelope's header. */
  onTried?: (sessions: number) => void;
}

/** A lookup over a plain list (tests, and small callers): every session is a candidate. */
function listLookup(sessions: Iterable<Session>): SessionLookup {
  const list = [...sessions];
  return { byHint: () => list, byId: (id) => list.find((s) => s.id === id) };
}

/** What openEnvelope found. */
export interface OpenedEnvelope {
  /** The session the envelope belongs to (new when `created`). */
  readonly session: Session;
  readonly plaintext: Uint8Array;
  /** True when the envelope started a new session: the caller should store it. */
  readonly created: boolean;
  /** The sender's address (as far as this session knows it). */
  readonly peerAddress: Address;
}

/** A private copy of an already verified address. */
function copyAddress(a: Address): Address {
  return {
    identityKey: Uint8Array.from(a.identityKey),
    identityDhKey: Uint8Array.from(a.identityDhKey),
    signedPrekey: Uint8Array.from(a.signedPrekey),
    gateway: Uint8Array.from(a.gateway),
    mailbox: Uint8Array.from(a.mailbox),
    signature: Uint8Array.from(a.signature),
  };
}

function wipeX3dh(x: X3dhResult): void {
  zeroize(x.sharedKey, x.headerKeyA, x.nextHeaderKeyB);
}

/** Runs the ratchet with the padding check inside its transaction; the unpadded plaintext, or null. */
function ratchetOpen(ratchet: DoubleRatchet, header: Uint8Array, body: Uint8Array, ad: Uint8Array): Uint8Array | null {
  let message: Uint8Array | undefined;
  const padded = ratchet.tryDecrypt(header, body, ad, (p) => {
    message = unpad(p);
  });
  if (!padded) return null;
  zeroize(padded);
  return message!;
}

export class Session {
  readonly role: SessionRole;
  #peer: Address;
  readonly #own: Address | null;
  readonly #ephemeral: Uint8Array;
  readonly #ad: Uint8Array;
  readonly #ratchet: DoubleRatchet;
  readonly #random: RandomSource;

  private constructor(role: SessionRole, peer: Address, own: Address | null, ephemeral: Uint8Array, ad: Uint8Array, ratchet: DoubleRatchet, random: RandomSource) {
    this.role = role;
    this.#peer = peer;
    this.#own = own;
    this.#ephemeral = ephemeral;
    this.#ad = ad;
    this.#ratchet = ratchet;
    this.#random = random;
  }

  /**
   * Opens a session to `peer` (X3DH §3.3 then RatchetInitAliceHE). Verifies
   * the peer's prekey signature (AddressError) and that `ownAddress` is
   * `own`'s (E2eeError 'malformed'). Uses 64 random bytes (EK_A, first
   * ratchet key).
   */
  static initiate(own: Identity, ownAddress: Address, peer: Address, random: RandomSource = systemRandom): Session {
    verifyAddress(ownAddress);
    if (!sameIdentity(ownAddress, publicIdentityOf(own)) || !ctEqual(ownAddress.signedPrekey, own.signedPrekey.publicKey)) {
      throw new E2eeError('malformed', 'session: ownAddress is not the address of this identity');
    }
    const x = x3dhInitiate(own, peer, random);
    try {
      const ratchet = DoubleRatchet.initInitiator(x, peer.signedPrekey, { random });
      return new Session('initiator', copyAddress(peer), copyAddress(ownAddress), x.ephemeralKey, x.associatedData, ratchet, random);
    } finally {
      wipeX3dh(x);
    }
  }

  /** A stable id, equal on both sides: the hex of the X3DH ephemeral key EK_A. */
  get id(): string {
    return toHex(this.#ephemeral);
  }

  get peerAddress(): Address {
    return this.#peer;
  }

  /** The peer's Ed25519 identity key. */
  get peerIdentityKey(): Uint8Array {
    return this.#peer.identityKey;
  }

  /** The X3DH associated data (both identities), a copy. */
  get associatedData(): Uint8Array {
    return Uint8Array.from(this.#ad);
  }

  /** True while this side still sends first (sealed-sender) envelopes: an initiator that has not heard back. */
  get awaitingReply(): boolean {
    return this.role === 'initiator' && !this.#ratchet.hasReceived;
  }

  /**
   * Replaces the peer's address with a newer one of the same identity (new
   * gateway or mailbox). Throws AddressError if it is not the same identity.
   */
  updatePeerAddress(address: Address): void {
    verifyAddress(address);
    if (!sameIdentity(address, this.#peer)) throw new AddressError('signature', 'session: the new address belongs to a different identity');
    this.#peer = copyAddress(address);
  }

  /**
   * Encrypts `plaintext` (at most maxPlaintextLength(envelopeLength) bytes)
   * into one envelope of exactly `envelopeLength` bytes: a first envelope while
   * awaitingReply, a later one afterwards. Throws RangeError on a bad length.
   */
  seal(plaintext: Uint8Array, envelopeLength: number): Uint8Array {
    const max = maxPlaintextLength(envelopeLength);
    if (!(plaintext instanceof Uint8Array) || plaintext.length > max) {
      throw new RangeError(`session: plaintext must be a Uint8Array of at most ${max} bytes for ${envelopeLength}-byte envelopes`);
    }
    if (this.awaitingReply) {
      const padded = pad(plaintext, firstPaddedLength(envelopeLength));
      const { header, body } = this.#ratchet.encrypt(padded, this.#ad);
      const content = concatBytes(addressToBytes(this.#own!), this.#ephemeral, header, body);
      const envelope = sealToRecipient(this.#peer, content, this.#random);
      zeroize(padded, content);
      return envelope;
    }
    const padded = pad(plaintext, laterPaddedLength(envelopeLength));
    const { header, body } = this.#ratchet.encrypt(padded, this.#ad);
    zeroize(padded);
    return concatBytes(header, body);
  }

  /** The stored form (see the header comment). It holds secret keys: encrypt it at rest. */
  serialize(): Uint8Array {
    const ratchet = this.#ratchet.serialize();
    const out = concatBytes(
      Uint8Array.of(SESSION_STATE_VERSION, this.role === 'initiator' ? ROLE_INITIATOR : ROLE_RESPONDER),
      addressToBytes(this.#peer),
      this.#ephemeral,
      this.#ad,
      this.#own ? addressToBytes(this.#own) : new Uint8Array(ADDRESS_BYTES),
      ratchet,
    );
    zeroize(ratchet);
    return out;
  }

  /** Parses the stored form; E2eeError('malformed') if anything is inconsistent. */
  static deserialize(bytes: Uint8Array, random: RandomSource = systemRandom): Session {
    const bad = (why: string) => new E2eeError('malformed', `session state: ${why}`);
    if (!(bytes instanceof Uint8Array) || bytes.length <= RATCHET_OFFSET) throw bad('too short');
    if (bytes[0] !== SESSION_STATE_VERSION) throw bad(`unknown version ${bytes[0]}`);
    const roleByte = bytes[1];
    if (roleByte !== ROLE_INITIATOR && roleByte !== ROLE_RESPONDER) throw bad('unknown role');
    const role: SessionRole = roleByte === ROLE_INITIATOR ? 'initiator' : 'responder';
    const parseAddress = (offset: number): Address => {
      try {
        return addressFromBytes(bytes.slice(offset, offset + ADDRESS_BYTES));
      } catch (err) {
        throw bad(`bad address (${err instanceof Error ? err.message : String(err)})`);
      }
    };
    const peer = parseAddress(PEER_OFFSET);
    const ephemeral = bytes.slice(EPHEMERAL_OFFSET, AD_OFFSET);
    const ad = bytes.slice(AD_OFFSET, OWN_OFFSET);
    let own: Address | null = null;
    if (role === 'initiator') {
      own = parseAddress(OWN_OFFSET);
    } else if (!ctIsZero(bytes.subarray(OWN_OFFSET, RATCHET_OFFSET))) {
      throw bad('a responder stores no own address');
    }
    // The AD names both identities, the initiator's first: it must agree with the stored addresses.
    const peerIds = concatBytes(peer.identityKey, peer.identityDhKey);
    const expected = role === 'initiator' ? concatBytes(own!.identityKey, own!.identityDhKey, peerIds) : peerIds;
    const actual = role === 'initiator' ? ad : ad.subarray(0, 64);
    if (!ctEqual(expected, actual)) throw bad('associated data does not match the stored addresses');
    const ratchet = DoubleRatchet.deserialize(bytes.subarray(RATCHET_OFFSET), { random });
    return new Session(role, peer, own, ephemeral, ad, ratchet, random);
  }

  /** The header nonces of the later envelopes this session accepts now (DoubleRatchet.acceptedHeaderNonces). */
  acceptedHeaderNonces(): Uint8Array[] {
    return this.#ratchet.acceptedHeaderNonces();
  }

  /** Wipes the session's keys; the session is unusable afterwards. */
  destroy(): void {
    this.#ratchet.destroy();
    zeroize(this.#ad);
  }

  /** openEnvelope's implementation (a static member, so it may use the sessions' private state). */
  static open(own: Identity, sessions: Iterable<Session> | SessionLookup, envelope: Uint8Array, random: RandomSource = systemRandom, options: OpenOptions = {}): OpenedEnvelope {
    if (!(envelope instanceof Uint8Array) || !isValidEnvelopeLength(envelope.length)) {
      throw new E2eeError('malformed', `envelope: must be a Uint8Array of ${MIN_ENVELOPE_LENGTH}..${MAX_ENVELOPE_LENGTH} bytes`);
    }
    const lookup = 'byHint' in sessions && 'byId' in sessions ? sessions : listLookup(sessions);

    // 1. A later envelope of one of our sessions?
    const header = envelope.subarray(0, ENCRYPTED_HEADER_BYTES);
    const body = envelope.subarray(ENCRYPTED_HEADER_BYTES);
    let tried = 0;
    try {
      for (const session of lookup.byHint(headerHint(header))) {
        tried++;
        const plaintext = ratchetOpen(session.#ratchet, header, body, session.#ad);
        if (plaintext) return { session, plaintext, created: false, peerAddress: session.#peer };
      }
    } finally {
      options.onTried?.(tried);
    }

    // 2. A first envelope sealed to us?
    const content = openSealed(own, envelope);
    if (!content) throw new E2eeError('undecryptable', 'envelope: no session key and no sealed-sender key of ours opens it');
    let sender: Address;
    try {
      sender = addressFromBytes(content.subarray(0, ADDRESS_BYTES));
    } catch (err) {
      throw new E2eeError('malformed', `envelope: the sealed sender address is invalid (${err instanceof Error ? err.message : String(err)})`);
    }
    const ephemeral = content.slice(SEALED_EPHEMERAL_OFFSET, SEALED_HEADER_OFFSET);
    const innerHeader = content.subarray(SEALED_HEADER_OFFSET, SEALED_BODY_OFFSET);
    const innerBody = content.subarray(SEALED_BODY_OFFSET);

    const byId = lookup.byId(toHex(ephemeral));
    const existing = byId && byId.role === 'responder' && ctEqual(byId.#ephemeral, ephemeral) && sameIdentity(byId.#peer, sender) ? byId : undefined;
    if (existing) {
      const plaintext = ratchetOpen(existing.#ratchet, innerHeader, innerBody, existing.#ad);
      if (!plaintext) throw new E2eeError('replay', 'envelope: a first envelope of an existing session whose keys are gone (replayed)');
      return { session: existing, plaintext, created: false, peerAddress: existing.#peer };
    }

    // 3. A new session (X3DH §3.4, RatchetInitBobHE).
    const x = x3dhRespond(own, sender, ephemeral);
    let session: Session;
    try {
      const firstMaxSkip = options.firstMaxSkip ?? FIRST_ENVELOPE_MAX_SKIP;
      const ratchet = DoubleRatchet.initResponder(x, own.signedPrekey, { random, limits: { ...DEFAULT_RATCHET_LIMITS, maxSkip: Math.min(firstMaxSkip, DEFAULT_RATCHET_LIMITS.maxSkip) } });
      session = new Session('responder', sender, null, ephemeral, x.associatedData, ratchet, random);
    } finally {
      wipeX3dh(x);
    }
    try {
      const plaintext = ratchetOpen(session.#ratchet, innerHeader, innerBody, session.#ad);
      if (!plaintext) {
        throw new E2eeError('tampered', "envelope: sealed to us, but the sender's key agreement does not authenticate (forged first envelope)");
      }
      session.#ratchet.setLimits(DEFAULT_RATCHET_LIMITS);
      return { session, plaintext, created: true, peerAddress: sender };
    } catch (err) {
      session.destroy();
      throw err;
    }
  }
}

/**
 * Opens one envelope from the mailbox with the user's identity and sessions
 * (see the header comment). Returns the owning session, the plaintext, whether
 * the session is new and the peer's address. Throws E2eeError: 'undecryptable'
 * (not for us, or cover), 'replay', 'tampered', 'too-many-skipped' or
 * 'malformed'. A session that does not own the envelope is never modified; the
 * owning one only when decryption succeeds.
 */
export function openEnvelope(own: Identity, sessions: Iterable<Session> | SessionLookup, envelope: Uint8Array, random: RandomSource = systemRandom, options: OpenOptions = {}): OpenedEnvelope {
  return Session.open(own, sessions, envelope, random, options);
}
