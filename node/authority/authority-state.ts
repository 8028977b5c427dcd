// One directory authority's view of the PKI protocol (docs/pki.md §Protocol).
//
// For each epoch E + 1, during epoch E:
//   1. collect: nodes upload signed descriptors for E + 1 to every authority;
//   2. share:   authorities send each other the descriptors they hold and
//               their signed admission views, and each keeps the union (so an
//               upload that reached only some authorities is not lost);
//   3. sign:    each builds the document deterministically from that union and
//               the consensus document of E, keeping only the nodes a majority
//               of the authorities' views admit (docs/pki.md §Admission),
//               signs it and sends its signature to the others;
//   4. publish: a document is published once signatures from a majority of
//               the configured authorities over the same bytes are collected.
// Transport and timing are the daemon's; this class is the state and rules,
// so three of them can be driven in a test exactly as the network does.

import { ctEqual, toHex } from '../../protocol/bytes.js';
import type { Ed25519PrivateKey } from '../../protocol/crypto/ed25519.js';
import {
  admissionCount,
  AdmissionError,
  preferredView,
  signAdmissionView,
  verifyAdmissionView,
  type AdmissionEntry,
  type AdmissionView,
  type SignedAdmissionView,
} from '../../protocol/pki/admission.js';
import { descriptorDigest, DescriptorError, verifyDescriptor, type Descriptor, type NodeRole, type SignedDescriptor } from '../../protocol/pki/descriptor.js';
import { buildDocument, decodeDocument, encodeDocument, type Document, type NetworkParams } from '../../protocol/pki/document.js';
import { epochAt, type EpochClock } from '../../protocol/pki/epoch.js';
import { signDocument, threshold, validSigners, verifyDocument, type DocumentSignature, type SignedDocument } from '../../protocol/pki/signatures.js';

export type DescriptorRejection = 'invalid' | 'wrong-epoch' | 'too-late' | 'older-version' | 'not-admitted' | 'full';
export type ViewRejection = 'invalid' | 'not-authority' | 'wrong-epoch' | 'too-late';

/** This authority's own admission list, as it stands now (node/authority/admission-list.ts). */
export interface AdmissionSource {
  admits(identityKey: Uint8Array, role: NodeRole): boolean;
  entries(): AdmissionEntry[];
}

/** Default bound on the descriptors held for one epoch. */
export const DEFAULT_MAX_DESCRIPTORS_PER_EPOCH = 1024;

/** Something the round keeps that must also be kept on disk. */
export type StoredItem = { descriptor: SignedDescriptor } | { view: SignedAdmissionView };

export interface AuthorityStateOptions {
  identity: Ed25519PrivateKey;
  /** Identity keys of all configured authorities, this one included. */
  authorityKeys: readonly Uint8Array[];
  params: NetworkParams;
  /** Who this authority admits. Uploads from anyone else are refused ('not-admitted'). */
  admission: AdmissionSource;
  /** Most descriptors (distinct nodes) held for one epoch; beyond, 'full'. Default 1024. */
  maxDescriptorsPerEpoch?: number;
  /** Called for every descriptor or view the round keeps (to append it to the round log). */
  onStored?: (epoch: number, item: StoredItem) => void;
}

interface EpochRound {
  /** Descriptors by node identity (hex); one per node, the highest version. */
  descriptors: Map<string, SignedDescriptor>;
  /** Verified admission views by authority (hex); one per authority. */
  views: Map<string, { signed: SignedAdmissionView; view: AdmissionView }>;
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
  readonly #admission: AdmissionSource;
  readonly #maxDescriptors: number;
  #onStored: ((epoch: number, item: StoredItem) => void) | undefined;

  constructor(options: AuthorityStateOptions) {
    this.#identity = options.identity;
    this.#admission = options.admission;
    this.#maxDescriptors = options.maxDescriptorsPerEpoch ?? DEFAULT_MAX_DESCRIPTORS_PER_EPOCH;
    if (!Number.isSafeInteger(this.#maxDescriptors) || this.#maxDescriptors < 1) throw new RangeError('AuthorityState: maxDescriptorsPerEpoch must be a positive integer');
    this.#onStored = options.onStored;
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
      r = { descriptors: new Map(), views: new Map(), built: null, signatures: new Map() };
      this.#rounds.set(epoch, r);
    }
    return r;
  }

  /**
   * Accepts a node's descriptor for the next epoch, uploaded by the node.
   * Only identities this authority admits (in the descriptor's role) are
   * kept. Returns null when kept (or already held), or why it was refused.
   * `uploadsClosed`: the share step has closed uploads for the next epoch
   * (docs/pki.md §Late uploads): `too-late`, but only for a descriptor of
   * that epoch; one for another epoch is still `wrong-epoch`.
   */
  addDescriptor(signed: SignedDescriptor, nowMs: number, uploadsClosed = false): DescriptorRejection | null {
    return this.#offer(signed, nowMs, (d) => this.#admission.admits(d.identityKey, d.role), uploadsClosed);
  }

  /**
   * Checks and keeps one descriptor, under `admitted`: every rule but the
   * admission rule is the same for uploads and shares.
   */
  #offer(signed: SignedDescriptor, nowMs: number, admitted: (d: Descriptor, round: EpochRound) => boolean, closed = false): DescriptorRejection | null {
    let d;
    try {
      d = verifyDescriptor(signed);
    } catch (err) {
      if (err instanceof DescriptorError) return 'invalid';
      throw err;
    }
    const current = epochAt(nowMs, this.#epochs);
    if (d.epoch !== current + 1) return 'wrong-epoch';
    if (closed) return 'too-late';
    const round = this.#round(d.epoch);
    if (round.built) return 'too-late';
    if (!admitted(d, round)) return 'not-admitted';
    const id = toHex(d.identityKey);
    const held = round.descriptors.get(id);
    if (held) {
      const heldVersion = verifyDescriptor(held).version;
      if (d.version < heldVersion) return 'older-version';
      // Same version: keep one deterministically, so every authority keeps the same one.
      if (d.version === heldVersion && toHex(descriptorDigest(signed)) >= toHex(descriptorDigest(held))) return null;
    } else if (round.descriptors.size >= this.#maxDescriptors) {
      return 'full';
    }
    round.descriptors.set(id, signed);
    this.#onStored?.(d.epoch, { descriptor: signed });
    return null;
  }

  /** The descriptors held for `epoch`, to share with the other authorities. */
  descriptorsFor(epoch: number): SignedDescriptor[] {
    return [...(this.#rounds.get(epoch)?.descriptors.values() ?? [])];
  }

  /**
   * Adds the descriptors another authority shared (same rules as uploads, at
   * the time given), except the admission rule: a shared descriptor is kept
   * when this authority admits the node, or when a majority of the
   * authorities' views held for the epoch do. So one authority alone can
   * neither add a node nor fill this authority's bound with its own.
   * Returns how many were kept, and why the others were not.
   */
  mergeDescriptors(shared: readonly SignedDescriptor[], nowMs: number): number {
    return this.mergeShared(shared, nowMs).kept;
  }

  mergeShared(shared: readonly SignedDescriptor[], nowMs: number): { kept: number; refused: Partial<Record<DescriptorRejection, number>> } {
    let kept = 0;
    const refused: Partial<Record<DescriptorRejection, number>> = {};
    const admitted = (d: Descriptor, round: EpochRound): boolean => this.#admission.admits(d.identityKey, d.role) || this.#admissionCount(round, d.identityKey, d.role) >= this.threshold;
    for (const s of shared) {
      const r = this.#offer(s, nowMs, admitted);
      if (r === null) kept++;
      else refused[r] = (refused[r] ?? 0) + 1;
    }
    return { kept, refused };
  }

  #admissionCount(round: EpochRound, identityKey: Uint8Array, role: NodeRole): number {
    return admissionCount(
      [...round.views.values()].map((v) => v.view),
      this.#authorityKeys,
      identityKey,
      role,
    );
  }

  /**
   * Keeps an authority's signed admission view for the epoch it names (this
   * one's own included). Of two valid views by one authority, the round keeps
   * `preferredView`'s choice, as every other authority does.
   */
  addView(signed: SignedAdmissionView, nowMs: number): ViewRejection | null {
    let view: AdmissionView;
    try {
      view = verifyAdmissionView(signed);
    } catch (err) {
      if (err instanceof AdmissionError) return 'invalid';
      throw err;
    }
    if (!this.#authorityKeys.some((k) => ctEqual(k, view.authorityKey))) return 'not-authority';
    if (view.epoch !== epochAt(nowMs, this.#epochs) + 1) return 'wrong-epoch';
    const round = this.#round(view.epoch);
    if (round.built) return 'too-late';
    const id = toHex(view.authorityKey);
    const held = round.views.get(id);
    if (held && preferredView(held.signed, signed) === held.signed) return null;
    round.views.set(id, { signed, view });
    this.#onStored?.(view.epoch, { view: signed });
    return null;
  }

  /**
   * This authority's signed view for `epoch`: made from the admission list
   * the first time it is needed (the share step, a share from another
   * authority, or signing) and then fixed for the round, so every other
   * authority counts the same view. An admission change reaches the next round.
   */
  ownView(epoch: number): SignedAdmissionView {
    const round = this.#round(epoch);
    const own = round.views.get(toHex(this.#identity.publicKey));
    if (own) return own.signed;
    const signed = signAdmissionView({ epoch, authorityKey: this.#identity.publicKey, entries: this.#admission.entries() }, this.#identity);
    round.views.set(toHex(this.#identity.publicKey), { signed, view: verifyAdmissionView(signed) });
    this.#onStored?.(epoch, { view: signed });
    return signed;
  }

  /** Whether this authority's own view for `epoch` is signed (and so fixed). */
  hasOwnView(epoch: number): boolean {
    return this.#rounds.get(epoch)?.views.has(toHex(this.#identity.publicKey)) ?? false;
  }

  /** The views held for `epoch`, to share with the other authorities. */
  viewsFor(epoch: number): SignedAdmissionView[] {
    return [...(this.#rounds.get(epoch)?.views.values() ?? [])].map((v) => v.signed);
  }

  /**
   * Restores what the round log holds (no admission check for views, the
   * share rule for descriptors: what was kept before is kept again unless
   * its admission is gone). Nothing is written back to the log.
   */
  restore(items: readonly StoredItem[], nowMs: number): { descriptors: number; views: number } {
    const onStored = this.#onStored;
    this.#onStored = undefined;
    try {
      let views = 0;
      for (const it of items) if ('view' in it && this.addView(it.view, nowMs) === null) views++;
      const descriptors = this.mergeShared(
        items.flatMap((it) => ('descriptor' in it ? [it.descriptor] : [])),
        nowMs,
      ).kept;
      return { descriptors, views };
    } finally {
      this.#onStored = onStored;
    }
  }

  /**
   * The held descriptors a majority of the authorities' views admit: what
   * the document is built from.
   */
  #admittedDescriptors(round: EpochRound): SignedDescriptor[] {
    return [...round.descriptors.values()].filter((s) => {
      const d = verifyDescriptor(s);
      return this.#admissionCount(round, d.identityKey, d.role) >= this.threshold;
    });
  }

  /**
   * Builds, signs and freezes the document for `epoch` (from the descriptors
   * held that a majority of the views admit, and the published document of
   * the epoch before, if any). This authority's own view is fixed now at the
   * latest. Later
   * descriptors for that epoch are refused. Returns the bytes and this
   * authority's signature, to send to the others.
   */
  sign(epoch: number): { document: Uint8Array; signature: DocumentSignature } {
    const round = this.#round(epoch);
    if (!round.built) {
      this.ownView(epoch);
      const previous = this.#published.get(epoch - 1);
      const doc = buildDocument(epoch, this.#params, this.#admittedDescriptors(round), previous ? decodeDocument(previous.document) : undefined);
      round.built = encodeDocument(doc);
      const own = signDocument(round.built, this.#identity);
      round.signatures.set(toHex(own.identityKey), own);
      // A network of one authority: its own signature is the majority.
      if (round.signatures.size >= this.threshold && !this.#published.has(epoch)) this.#published.set(epoch, { document: round.built, signatures: [...round.signatures.values()] });
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
