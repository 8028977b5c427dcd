// One directory authority's view of the PKI protocol (docs/pki.md §Protocol).
//
// For each epoch E + 1, during epoch E:
//   1. collect: nodes upload signed descriptors for E + 1 to every authority;
//   2. share:   authorities send each other the descriptors they hold, and each
//               keeps the union of the valid ones (so an upload that reached
//               only some authorities is not lost);
//   3. sign:    each builds the document deterministically from that union and
//               the consensus document of E, signs it and sends its signature
//               to the others;
//   4. publish: a document is published once signatures from a majority of
//               the configured authorities over the same bytes are collected.
// Transport and timing are the daemon's; this class is the state and rules,
// so three of them can be driven in a test exactly as the network does.

import { ctEqual, toHex } from '../../protocol/bytes.js';
import type { Ed25519PrivateKey } from '../../protocol/crypto/ed25519.js';
import { descriptorDigest, DescriptorError, verifyDescriptor, type SignedDescriptor } from '../../protocol/pki/descriptor.js';
import { buildDocument, decodeDocument, encodeDocument, type Document, type NetworkParams } from '../../protocol/pki/document.js';
import { epochAt, type EpochClock } from '../../protocol/pki/epoch.js';
import { signDocument, threshold, validSigners, verifyDocument, type DocumentSignature, type SignedDocument } from '../../protocol/pki/signatures.js';

export type DescriptorRejection = 'invalid' | 'wrong-epoch' | 'too-late' | 'older-version';

export interface AuthorityStateOptions {
  identity: Ed25519PrivateKey;
  /** Identity keys of all configured authorities, this one included. */
  authorityKeys: readonly Uint8Array[];
  params: NetworkParams;
}

interface EpochRound {
  /** Descriptors by node identity (hex); one per node, the highest version. */
  descriptors: Map<string, SignedDescriptor>;
  /** Once built: the document bytes this authority signed. */
  built: Uint8Array | null;
  /** Valid signatures over `built`, by signer (hex). */
  signatures: Map<string, DocumentSignature>;
}

export class AuthorityState {
  readonly #identity: Ed25519PrivateKey;
  readonly #authorityKeys: readonly Uint8Array[];
  readonly #params: NetworkParams;
  readonly #epochs: EpochClock;
  readonly #rounds = new Map<number, EpochRound>();
  readonly #published = new Map<number, SignedDocument>();

  constructor(options: AuthorityStateOptions) {
    this.#identity = options.identity;
    this.#authorityKeys = options.authorityKeys;
    this.#params = options.params;
    this.#epochs = { genesisMs: options.params.genesisMs, epochDurationMs: options.params.epochDurationMs };
    if (!options.authorityKeys.some((k) => ctEqual(k, options.identity.publicKey))) {
      throw new RangeError('AuthorityState: this authority is not in the configured authority set');
    }
  }

  get threshold(): number {
    return threshold(new Set(this.#authorityKeys.map(toHex)).size);
  }

  #round(epoch: number): EpochRound {
    let r = this.#rounds.get(epoch);
    if (!r) {
      r = { descriptors: new Map(), built: null, signatures: new Map() };
      this.#rounds.set(epoch, r);
    }
    return r;
  }

  /**
   * Accepts a node's descriptor for the next epoch (or the current one, for a
   * node joining late: it enters the next document it can). Returns null when
   * kept, or why it was refused.
   */
  addDescriptor(signed: SignedDescriptor, nowMs: number): DescriptorRejection | null {
    let d;
    try {
      d = verifyDescriptor(signed);
    } catch (err) {
      if (err instanceof DescriptorError) return 'invalid';
      throw err;
    }
    const current = epochAt(nowMs, this.#epochs);
    if (d.epoch !== current + 1) return 'wrong-epoch';
    const round = this.#round(d.epoch);
    if (round.built) return 'too-late';
    const id = toHex(d.identityKey);
    const held = round.descriptors.get(id);
    if (held) {
      const heldVersion = verifyDescriptor(held).version;
      if (d.version < heldVersion) return 'older-version';
      // Same version: keep one deterministically, so every authority keeps the same one.
      if (d.version === heldVersion && toHex(descriptorDigest(signed)) >= toHex(descriptorDigest(held))) return null;
    }
    round.descriptors.set(id, signed);
    return null;
  }

  /** The descriptors held for `epoch`, to share with the other authorities. */
  descriptorsFor(epoch: number): SignedDescriptor[] {
    return [...(this.#rounds.get(epoch)?.descriptors.values() ?? [])];
  }

  /** Adds the descriptors another authority shared (same rules as uploads, at the time given). */
  mergeDescriptors(shared: readonly SignedDescriptor[], nowMs: number): number {
    let kept = 0;
    for (const s of shared) if (this.addDescriptor(s, nowMs) === null) kept++;
    return kept;
  }

  /**
   * Builds, signs and freezes the document for `epoch` (from the descriptors
   * held and the published document of the epoch before, if any). Later
   * descriptors for that epoch are refused. Returns the bytes and this
   * authority's signature, to send to the others.
   */
  sign(epoch: number): { document: Uint8Array; signature: DocumentSignature } {
    const round = this.#round(epoch);
    if (!round.built) {
      const previous = this.#published.get(epoch - 1);
      const doc = buildDocument(epoch, this.#params, [...round.descriptors.values()], previous ? decodeDocument(previous.document) : undefined);
      round.built = encodeDocument(doc);
      const own = signDocument(round.built, this.#identity);
      round.signatures.set(toHex(own.identityKey), own);
    }
    const own = round.signatures.get(toHex(this.#identity.publicKey))!;
    return { document: round.built, signature: own };
  }

  /**
   * A signature from another authority over its document for `epoch`.
   * Counted only if it is over the same bytes this authority built and by a
   * configured authority. Returns whether it was counted.
   */
  addSignature(epoch: number, documentBytes: Uint8Array, signature: DocumentSignature): boolean {
    const round = this.#rounds.get(epoch);
    if (!round?.built || !ctEqual(round.built, documentBytes)) return false;
    const candidate: SignedDocument = { document: round.built, signatures: [signature] };
    if (validSigners(candidate, this.#authorityKeys).size !== 1) return false;
    round.signatures.set(toHex(signature.identityKey), signature);
    if (round.signatures.size >= this.threshold && !this.#published.has(epoch)) {
      this.#published.set(epoch, { document: round.built, signatures: [...round.signatures.values()] });
    }
    return true;
  }

  /** The document bytes this authority signed (or adopted) for `epoch`, or null before it has. */
  built(epoch: number): Uint8Array | null {
    return this.#rounds.get(epoch)?.built ?? null;
  }

  /** The threshold-signed document for `epoch`, with every signature collected so far, or null. */
  published(epoch: number): SignedDocument | null {
    const round = this.#rounds.get(epoch);
    if (!this.#published.has(epoch) || !round?.built) return null;
    return { document: round.built, signatures: [...round.signatures.values()] };
  }

  /**
   * Adopts a threshold-signed document fetched from other authorities (an
   * authority that was offline catches up this way). Verified first.
   */
  adopt(signed: SignedDocument): Document {
    const doc = verifyDocument(signed, this.#authorityKeys);
    const round = this.#round(doc.epoch);
    round.built = signed.document;
    round.signatures = new Map(signed.signatures.map((s) => [toHex(s.identityKey), s]));
    this.#published.set(doc.epoch, signed);
    return doc;
  }

  /** Forgets rounds before `epoch`. */
  pruneBefore(epoch: number): void {
    for (const e of this.#rounds.keys()) if (e < epoch - 1) this.#rounds.delete(e);
    for (const e of this.#published.keys()) if (e < epoch - 1) this.#published.delete(e);
  }
}
