// A directory authority on the network (docs/pki.md §Network protocols): one
// AuthorityState served over libp2p RPC and driven by a Clock.
//
// For each epoch E + 1, during epoch E (fractions of the epoch):
//   0 – 50 %  nodes upload descriptors (/chaff/pki/descriptor/1); only the
//             nodes this authority admits (admissions.toml) are kept
//   50 %      share the descriptors and signed admission views held with every
//             other authority (/chaff/pki/share/2)
//   70 %      build and sign; send (document, signature) to every other
//             authority (/chaff/pki/signature/1), retrying a failed send until 90 %
//             publish as soon as a majority of signatures over the same bytes is in
//   90 %      not published? fetch the published document from the others
//             (/chaff/pki/document/1) and adopt it once verified; retry until
//             70 % of E + 1
// An authority that starts after 70 % goes straight to fetching. Published
// documents are kept on disk (documents/<epoch>.bin) and reloaded on start;
// what the round holds is appended to descriptors/<epoch>.log (round-log.ts).
//
// A Startable built from its components (the host's protocol, dial and peer
// id, a Clock, a Logger, the admission list) and its init options.

import { join } from 'node:path';
import type { PeerId } from '@libp2p/interface';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import { ctEqual, toHex } from '../../protocol/bytes.js';
import type { Ed25519PrivateKey } from '../../protocol/crypto/ed25519.js';
import { decodeDocument, type NetworkParams } from '../../protocol/pki/document.js';
import { epochAt, epochStart, type EpochClock } from '../../protocol/pki/epoch.js';
import { decodeSignedDocument, encodeSignedDocument, validSigners, type DocumentSignature, type SignedDocument } from '../../protocol/pki/signatures.js';
import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import type { DialHost, PeerHost, ProtocolHost } from '../../runtime/net/host.js';
import { callRpc, RPC_DROP_REASONS, RpcError, RpcRefusal, serveRpc, type RpcServerCounters } from '../../runtime/net/rpc.js';
import type { AuthorityPeer } from '../../runtime/pki/authority-peers.js';
import { DocumentStore } from '../../runtime/pki/document-store.js';
import { decodeSignedAdmissionView, encodeSignedAdmissionView, type SignedAdmissionView } from '../../protocol/pki/admission.js';
import { decodeSignedDescriptor, encodeSignedDescriptor, verifyDescriptor, type SignedDescriptor } from '../../protocol/pki/descriptor.js';
import {
  decodeDescriptorRequest,
  decodeDocumentRequest,
  decodeShareRequest,
  decodeSignatureRequest,
  encodeDocumentRequest,
  encodeShareRequest,
  encodeSignatureRequest,
  MAX_DOCUMENT_RESPONSE_BYTES,
  MAX_REQUEST_BYTES,
  MAX_SHARED_DESCRIPTORS,
  PKI_PROTOCOLS,
  type PkiProtocol,
} from '../../runtime/pki/wire.js';
import { ADMISSIONS_FILE, AdmissionList } from './admission-list.js';
import { AuthorityState, DEFAULT_MAX_DESCRIPTORS_PER_EPOCH, type DescriptorRejection, type StoredItem, type ViewRejection } from './authority-state.js';
import { RECORD_DESCRIPTOR, RECORD_VIEW, encodeRecord, RoundLog, type RoundRecord } from './round-log.js';
import { ShareExchanges } from './share-exchanges.js';

/** When each step runs, as a fraction of the epoch before the one being built. */
export interface AuthoritySchedule {
  share: number;
  sign: number;
  /** Signature sends are retried until here; then a missing document is fetched. */
  fetch: number;
}

export const DEFAULT_SCHEDULE: AuthoritySchedule = { share: 0.5, sign: 0.7, fetch: 0.9 };

/** What an authority uses: the host (its four protocols, calls to the others, its own key), time, a logger, its admission list. */
export interface AuthorityServiceComponents {
  host: ProtocolHost & DialHost & Pick<PeerHost, 'peerId'>;
  clock: Clock;
  /** The operator's log: refused uploads and admission list reloads at info, published documents at info, failed calls at debug. */
  logger: Logger;
  /** This authority's admission list. Default: `<dataDir>/admissions.toml`, re-read when it changes. */
  admission?: AdmissionList;
}

export interface AuthorityServiceInit {
  /** This authority's PKI signing key (the host's libp2p key: see runtime/pki/signing-key.ts). */
  identity: Ed25519PrivateKey;
  /** Every configured authority, this one included. */
  authorities: readonly AuthorityPeer[];
  params: NetworkParams;
  /** Published documents are kept in `<dataDir>/documents/`. */
  dataDir: string;
  schedule?: Partial<AuthoritySchedule>;
  /** Deadline for each outgoing RPC. Default: min(10 s, a tenth of the epoch). */
  rpcTimeoutMs?: number;
  /** Published documents kept on disk, counting back from the current epoch. Default 8. */
  keepEpochs?: number;
  random?: () => number;
  /** How often (at most) an upload makes the authority look for a changed admission file. Default 1 s. */
  admissionRefreshMs?: number;
  /** Most descriptors (distinct nodes) held per epoch, uploads and shares together. Default 1024, at most 2048. */
  maxDescriptorsPerEpoch?: number;
  /** Streams one peer may have open at once on one PKI protocol. Default 8. */
  maxStreamsPerPeer?: number;
}

/** Streams one peer may hold open on one PKI protocol: a node uploads one descriptor at a time, an authority makes one call per step. */
export const DEFAULT_MAX_STREAMS_PER_PEER = 8;

export type DescriptorRefusal = DescriptorRejection | 'malformed';
export type PeerRefusal = 'not-authority' | 'malformed' | 'wrong-epoch';
export type SignatureRefusal = PeerRefusal | 'wrong-signer' | 'bad-signature' | 'mismatch';

export interface AuthorityStats {
  descriptorsAccepted: number;
  descriptorsRefused: Record<DescriptorRefusal, number>;
  sharesSent: number;
  shareFailures: number;
  sharesReceived: number;
  sharesRefused: Record<PeerRefusal, number>;
  signaturesSent: number;
  signatureFailures: number;
  /** Counted, or held until this authority has signed. */
  signaturesReceived: number;
  signaturesRefused: Record<SignatureRefusal, number>;
  documentsPublished: number;
  documentsAdopted: number;
  documentsLoaded: number;
  /** Files on disk that could not be parsed or verified (left in place). */
  documentsCorrupt: number;
  /** Descriptors for the next epoch read back from disk at start. */
  descriptorsReloaded: number;
  /** Descriptors in other authorities' shares that were not kept, by reason. */
  sharedDescriptorsRefused: Record<DescriptorRejection, number>;
  /** Admission views received from other authorities and kept (or already held). */
  viewsReceived: number;
  viewsRefused: Record<ViewRejection, number>;
  admission: { admitted: number; reloads: number; errors: number };
  /** The round log (descriptors/<epoch>.log): bytes appended per record, and compactions. */
  roundLog: { recordsAppended: number; bytesAppended: number; compactions: number; bytesCompacted: number };
  documentsServed: number;
  documentRequestsRefused: Record<'malformed' | 'not-published', number>;
  /** The RPC servers' own drop counters, per protocol. */
  rpc: Record<PkiProtocol, RpcServerCounters>;
}

const zero = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export class AuthorityService implements Startable {
  readonly #c: AuthorityServiceComponents;
  readonly #o: AuthorityServiceInit;
  readonly #schedule: AuthoritySchedule;
  readonly #epochs: EpochClock;
  readonly #state: AuthorityState;
  readonly #store: DocumentStore;
  readonly #log: Logger;
  readonly #self: AuthorityPeer;
  readonly #others: AuthorityPeer[];
  readonly #timers = new Set<TimerHandle>();
  /** Signatures that arrived before this authority signed: epoch → signer → request. */
  readonly #pending = new Map<number, Map<string, { document: Uint8Array; signature: DocumentSignature }>>();
  /** Signature count last written to disk, per published epoch. */
  readonly #saved = new Map<number, number>();
  readonly #fetching = new Set<number>();
  /** Epochs whose document came from the others (or from disk), not from this authority's round. */
  readonly #adopted = new Set<number>();
  readonly #stats: AuthorityStats;
  readonly #admission: AdmissionList;
  readonly #roundLog: RoundLog;
  /** Which share exchanges of each round are done: uploads close once any authority could no longer learn them. */
  readonly #exchanges = new ShareExchanges();
  /** Log size at which the round log of an epoch is next checked for compaction. */
  readonly #compactAt = new Map<number, number>();
  #admissionCheckedAt = -Infinity;
  /** Identities whose refused upload was logged this epoch (bounded): one line per node per epoch, not per upload. */
  #loggedRefusals = new Set<string>();
  #running = false;

  constructor(components: AuthorityServiceComponents, options: AuthorityServiceInit) {
    this.#c = components;
    this.#o = options;
    this.#schedule = { ...DEFAULT_SCHEDULE, ...options.schedule };
    const s = this.#schedule;
    if (!(0 <= s.share && s.share <= s.sign && s.sign < s.fetch && s.fetch < 1)) throw new RangeError('AuthorityService: schedule must satisfy 0 ≤ share ≤ sign < fetch < 1');
    this.#epochs = { genesisMs: options.params.genesisMs, epochDurationMs: options.params.epochDurationMs };
    const maxDescriptors = options.maxDescriptorsPerEpoch ?? DEFAULT_MAX_DESCRIPTORS_PER_EPOCH;
    if (maxDescriptors > MAX_SHARED_DESCRIPTORS) throw new RangeError(`AuthorityService: maxDescriptorsPerEpoch must be at most ${MAX_SHARED_DESCRIPTORS} (one share request)`);
    this.#admission = components.admission ?? new AdmissionList(join(options.dataDir, ADMISSIONS_FILE));
    this.#roundLog = new RoundLog(join(options.dataDir, 'descriptors'), (err, epoch) =>
      this.#report('error', 'round log write failed: what this authority holds may not survive a restart', { epoch, error: err.message }),
    );
    this.#state = new AuthorityState({
      identity: options.identity,
      authorityKeys: options.authorities.map((a) => a.identityKey),
      params: options.params,
      admission: this.#admission,
      maxDescriptorsPerEpoch: maxDescriptors,
      onStored: (epoch, item) => this.#store_(epoch, item),
    });
    this.#store = new DocumentStore(join(options.dataDir, 'documents'));
    this.#log = components.logger;
    const self = options.authorities.find((a) => ctEqual(a.identityKey, options.identity.publicKey));
    if (!self) throw new RangeError('AuthorityService: this authority is not in the configured authority set');
    if (!self.peerId.equals(components.host.peerId)) throw new RangeError('AuthorityService: the host key is not the authority identity key');
    this.#self = self;
    this.#others = options.authorities.filter((a) => a !== self);
    const emptyRpc = (): RpcServerCounters => ({ served: 0, drops: zero(RPC_DROP_REASONS), bytesRead: 0, bytesDiscarded: 0 });
    const rejections = ['invalid', 'wrong-epoch', 'too-late', 'older-version', 'not-admitted', 'full'] as const;
    this.#stats = {
      descriptorsAccepted: 0,
      descriptorsRefused: zero([...rejections, 'malformed']),
      sharesSent: 0,
      shareFailures: 0,
      sharesReceived: 0,
      sharesRefused: zero(['not-authority', 'malformed', 'wrong-epoch']),
      signaturesSent: 0,
      signatureFailures: 0,
      signaturesReceived: 0,
      signaturesRefused: zero(['not-authority', 'malformed', 'wrong-epoch', 'wrong-signer', 'bad-signature', 'mismatch']),
      documentsPublished: 0,
      documentsAdopted: 0,
      documentsLoaded: 0,
      documentsCorrupt: 0,
      descriptorsReloaded: 0,
      sharedDescriptorsRefused: zero(rejections),
      viewsReceived: 0,
      viewsRefused: zero(['invalid', 'not-authority', 'wrong-epoch', 'too-late']),
      admission: { admitted: 0, reloads: 0, errors: 0 },
      roundLog: { recordsAppended: 0, bytesAppended: 0, compactions: 0, bytesCompacted: 0 },
      documentsServed: 0,
      documentRequestsRefused: zero(['malformed', 'not-published']),
      rpc: { descriptor: emptyRpc(), share: emptyRpc(), signature: emptyRpc(), document: emptyRpc() },
    };
  }

  /** Live counters. */
  stats(): AuthorityStats {
    const a = this.#admission;
    this.#stats.admission = { admitted: a.size, reloads: a.reloads, errors: a.errors };
    const l = this.#roundLog;
    this.#stats.roundLog = { recordsAppended: l.recordsAppended, bytesAppended: l.bytesAppended, compactions: l.compactions, bytesCompacted: l.bytesCompacted };
    return this.#stats;
  }

  /** Resolves once everything accepted so far is in the round log on disk. */
  flushed(): Promise<void> {
    return this.#roundLog.flushed();
  }

  #report(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
    this.#log[level](message, fields);
  }

  /** Re-reads the admission list if its file changed (at most once per admissionRefreshMs unless forced). */
  async #refreshAdmission(force: boolean): Promise<void> {
    const now = this.#c.clock.now();
    if (!force && now - this.#admissionCheckedAt < (this.#o.admissionRefreshMs ?? 1000)) return;
    this.#admissionCheckedAt = now;
    const { changed, error } = await this.#admission.refresh();
    if (error) this.#report('error', 'admission list refused; the previous list stays in force', { file: this.#admission.path, error });
    else if (changed) this.#report('info', 'admission list loaded', { file: this.#admission.path, admitted: this.#admission.size });
  }

  /** The published (or adopted) document for `epoch` with every signature held, or null. */
  published(epoch: number): SignedDocument | null {
    return this.#state.published(epoch);
  }

  get #duration(): number {
    return this.#epochs.epochDurationMs;
  }

  get #rpcTimeoutMs(): number {
    return this.#o.rpcTimeoutMs ?? Math.max(500, Math.min(10_000, this.#duration / 10));
  }

  #epochNow(): number {
    return epochAt(this.#c.clock.now(), this.#epochs);
  }

  /** Reloads documents from disk, serves the four protocols and starts the schedule. */
  async start(): Promise<void> {
    if (this.#running) return;
    await this.#refreshAdmission(true);
    if (this.#admission.size === 0) this.#report('warn', 'no node is admitted: this authority refuses every descriptor (docs/operators.md §Admitting nodes)', { file: this.#admission.path });
    await this.#reload();
    // Share and signature requests (up to ~13 MiB and 8 MiB) are read only from the
    // other authorities: anyone else is refused when the stream opens, before a byte is read.
    const onlyAuthorities =
      (counter: Record<'not-authority', number>) =>
      (from: PeerId): true | string => {
        if (this.#authority(from)) return true;
        counter['not-authority']++;
        return 'not-authority';
      };
    const serve = async (p: PkiProtocol, handler: (body: Uint8Array, from: PeerId) => Uint8Array | Promise<Uint8Array>, allow?: (from: PeerId) => true | string): Promise<void> => {
      this.#stats.rpc[p] = await serveRpc(this.#c.host, PKI_PROTOCOLS[p], handler, {
        maxRequestBytes: MAX_REQUEST_BYTES[p],
        timeoutMs: this.#rpcTimeoutMs,
        maxStreamsPerPeer: this.#o.maxStreamsPerPeer ?? DEFAULT_MAX_STREAMS_PER_PEER,
        ...(allow ? { allow } : {}),
        onDrop: (reason, from) => this.#log.debug('request dropped', { protocol: p, reason, peer: from.toString() }),
      });
    };
    await serve('descriptor', (b) => this.#onDescriptor(b));
    await serve('share', (b, from) => this.#onShare(b, from), onlyAuthorities(this.#stats.sharesRefused));
    await serve('signature', (b, from) => this.#onSignature(b, from), onlyAuthorities(this.#stats.signaturesRefused));
    await serve('document', (b) => this.#onDocument(b));
    this.#running = true;
    this.#scheduleEpoch(this.#epochNow());
  }

  /** Stops the schedule and unregisters the protocols (the host is the caller's). */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const t of this.#timers) t.cancel();
    this.#timers.clear();
    await this.#c.host.unhandle(Object.values(PKI_PROTOCOLS));
    await this.#roundLog.flushed(); // the accepted descriptors are on disk before stop() resolves
  }

  /** Appends what the round kept to the round log; compacts the log when superseded records dominate it. */
  #store_(epoch: number, item: StoredItem): void {
    this.#roundLog.append(epoch, toRecord(item));
    const size = this.#roundLog.size(epoch);
    if (size < (this.#compactAt.get(epoch) ?? COMPACT_MIN_BYTES)) return;
    // Checking costs O(what is held), so it runs only when the log has doubled since the last check.
    const live = this.#liveRecords(epoch);
    const liveBytes = live.reduce((n, r) => n + encodeRecord(r).length, 0);
    if (size > 2 * liveBytes) void this.#roundLog.compact(epoch, live);
    this.#compactAt.set(epoch, Math.max(COMPACT_MIN_BYTES, 2 * liveBytes));
  }

  /** What the round holds for `epoch`, views first (the share rule for descriptors counts them on reload). */
  #liveRecords(epoch: number): RoundRecord[] {
    return [...this.#state.viewsFor(epoch).map((view) => toRecord({ view })), ...this.#state.descriptorsFor(epoch).map((descriptor) => toRecord({ descriptor }))];
  }

  /** Reads back what the round log holds for the next epoch; older logs are deleted. */
  async #reloadRound(): Promise<void> {
    const next = this.#epochNow() + 1;
    await this.#roundLog.deleteBefore(next);
    const { records, ignoredBytes } = await this.#roundLog.read(next);
    if (ignoredBytes > 0) this.#report('warn', 'the round log ends with a torn record (a crash while writing); it is ignored', { epoch: next, bytes: ignoredBytes });
    const items: StoredItem[] = [];
    for (const r of records) {
      try {
        items.push(r.type === RECORD_VIEW ? { view: decodeSignedAdmissionView(r.body) } : { descriptor: decodeSignedDescriptor(r.body) });
      } catch (err) {
        this.#report('error', 'unreadable record in the round log; ignored', { epoch: next, error: (err as Error).message });
      }
    }
    this.#stats.descriptorsReloaded += this.#state.restore(items, this.#c.clock.now()).descriptors;
  }

  async #reload(): Promise<void> {
    await this.#reloadRound();
    const { documents, corrupt } = await this.#store.loadAll();
    for (const name of corrupt) this.#log.error('a stored document is unreadable; ignored', { file: `documents/${name}` });
    this.#stats.documentsCorrupt += corrupt.length;
    for (const { epoch, signed } of documents) {
      try {
        const doc = decodeDocument(signed.document);
        if (doc.epoch !== epoch) throw new Error(`holds epoch ${doc.epoch}`);
        this.#state.adopt(signed);
        this.#saved.set(epoch, signed.signatures.length);
        this.#adopted.add(epoch);
        this.#stats.documentsLoaded++;
      } catch (err) {
        this.#stats.documentsCorrupt++;
        this.#log.error('a stored document does not verify; ignored', { file: `documents/${epoch}.bin`, error: (err as Error).message });
      }
    }
  }

  // ------------------------------------------------------------ schedule

  #after(atMs: number, fn: () => unknown): void {
    if (!this.#running) return;
    const handle = this.#c.clock.at(atMs, () => {
      this.#timers.delete(handle);
      if (!this.#running) return;
      try {
        Promise.resolve(fn()).catch((err: unknown) => this.#log.error('scheduled step failed', { error: (err as Error).message }));
      } catch (err) {
        this.#log.error('scheduled step failed', { error: (err as Error).message });
      }
    });
    this.#timers.add(handle);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#running) return resolve();
      const handle = this.#c.clock.at(this.#c.clock.now() + ms, () => {
        this.#timers.delete(entry);
        resolve();
      });
      // A stop() cancels the timer; resolve anyway so no loop hangs.
      const entry: TimerHandle = { cancel: () => (handle.cancel(), resolve()) };
      this.#timers.add(entry);
    });
  }

  /** Arms every step of the round for epoch + 1 that is still ahead, and the next epoch. */
  #scheduleEpoch(epoch: number): void {
    const start = epochStart(epoch, this.#epochs);
    const at = (f: number): number => start + Math.floor(f * this.#duration);
    const now = this.#c.clock.now();
    const next = epoch + 1;
    if (!this.#state.published(epoch)) void this.#fetchUntil(epoch, at(this.#schedule.sign));
    if (now < at(this.#schedule.sign)) {
      this.#after(Math.max(now, at(this.#schedule.share)), () => this.#share(next));
      this.#after(at(this.#schedule.sign), () => this.#sign(next, at(this.#schedule.fetch)));
      this.#after(at(this.#schedule.fetch), () => this.#fetchUntil(next, epochStart(next, this.#epochs) + Math.floor(this.#schedule.sign * this.#duration)));
    } else {
      void this.#fetchUntil(next, epochStart(next, this.#epochs) + Math.floor(this.#schedule.sign * this.#duration));
    }
    this.#after(start + this.#duration, () => {
      const e = epoch + 1;
      this.#state.pruneBefore(e);
      this.#exchanges.pruneBefore(e + 1);
      for (const k of this.#pending.keys()) if (k <= e) this.#pending.delete(k);
      for (const k of this.#saved.keys()) if (k < e - 1) this.#saved.delete(k);
      for (const k of this.#adopted) if (k < e - 1) this.#adopted.delete(k);
      this.#store.pruneBefore(e - (this.#o.keepEpochs ?? 8)).catch(() => undefined);
      for (const k of this.#compactAt.keys()) if (k <= e) this.#compactAt.delete(k);
      this.#loggedRefusals = new Set();
      void this.#roundLog.deleteBefore(e + 1);
      this.#scheduleEpoch(e);
    });
  }

  /**
   * Sends the descriptors held for `epoch` to each other authority; each
   * replies with the descriptors it holds, which are merged too. Every pair
   * of authorities thus exchanges in both directions twice (once from each
   * side), so one failed call does not leave a descriptor unshared.
   */
  async #share(epoch: number): Promise<void> {
    await this.#refreshAdmission(true);
    this.#state.ownView(epoch); // fixed from here on for this round
    const body = encodeShareRequest({ epoch, descriptors: this.#state.descriptorsFor(epoch), views: this.#state.viewsFor(epoch) });
    for (const peer of this.#others) this.#exchanges.sending(epoch, peer.name);
    await Promise.all(
      this.#others.map(async (peer) => {
        try {
          const reply = decodeShareRequest(await this.#call(peer, 'share', body, MAX_REQUEST_BYTES.share));
          if (reply.epoch === epoch) this.#mergeShare(peer, reply.descriptors, reply.views);
          this.#stats.sharesSent++;
        } catch (err) {
          this.#stats.shareFailures++;
          this.#log.debug('share failed', { epoch, authority: peer.name, error: (err as Error).message });
        }
      }),
    );
  }

  async #sign(epoch: number, retryUntil: number): Promise<void> {
    if (this.#state.published(epoch)) return; // adopted already
    const { document, signature } = this.#state.sign(epoch);
    for (const p of this.#pending.get(epoch)?.values() ?? []) {
      if (ctEqual(p.document, document)) this.#state.addSignature(epoch, p.document, p.signature);
      else this.#stats.signaturesRefused.mismatch++;
    }
    this.#pending.delete(epoch);
    await this.#persistIfPublished(epoch);
    const body = encodeSignatureRequest({ epoch, document, signature });
    await Promise.all(this.#others.map((peer) => this.#sendSignature(peer, epoch, body, retryUntil)));
  }

  async #sendSignature(peer: AuthorityPeer, epoch: number, body: Uint8Array, retryUntil: number): Promise<void> {
    const attempts = 3;
    const gap = Math.max(50, Math.floor((retryUntil - this.#c.clock.now()) / attempts));
    for (let i = 0; i < attempts && this.#running; i++) {
      try {
        await this.#call(peer, 'signature', body, 1024);
        this.#stats.signaturesSent++;
        return;
      } catch (err) {
        this.#log.debug('signature send failed', { epoch, authority: peer.name, error: (err as Error).message });
        if (err instanceof RpcError && err.code === 'refused') break; // it signed something else: retrying will not help
      }
      if (this.#c.clock.now() + gap >= retryUntil) break;
      await this.#sleep(gap);
    }
    this.#stats.signatureFailures++;
  }

  /** Fetches the published document for `epoch` from the others until adopted or `deadline`. */
  async #fetchUntil(epoch: number, deadline: number): Promise<void> {
    if (this.#fetching.has(epoch) || this.#others.length === 0) return;
    this.#fetching.add(epoch);
    try {
      let backoff = Math.max(50, Math.floor(this.#duration / 20));
      while (this.#running && !this.#state.published(epoch) && this.#c.clock.now() < deadline) {
        if (await this.#fetchOnce(epoch)) return;
        await this.#sleep(Math.min(backoff, Math.max(0, deadline - this.#c.clock.now())));
        backoff = Math.min(backoff * 2, Math.floor(this.#duration / 5));
      }
    } finally {
      this.#fetching.delete(epoch);
    }
  }

  async #fetchOnce(epoch: number): Promise<boolean> {
    const random = this.#o.random ?? Math.random;
    const order = [...this.#others]
      .map((p) => ({ p, k: random() }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.p);
    for (const peer of order) {
      if (!this.#running || this.#state.published(epoch)) return true;
      try {
        const signed = decodeSignedDocument(await this.#call(peer, 'document', encodeDocumentRequest(epoch), MAX_DOCUMENT_RESPONSE_BYTES));
        if (decodeDocument(signed.document).epoch !== epoch) throw new Error('document is for another epoch');
        this.#state.adopt(signed); // verifies the majority of signatures
        this.#stats.documentsAdopted++;
        this.#adopted.add(epoch);
        this.#log.info('adopted the published document', { epoch, from: peer.name });
        await this.#persistIfPublished(epoch);
        return true;
      } catch (err) {
        this.#log.debug('document fetch failed', { epoch, authority: peer.name, error: (err as Error).message });
      }
    }
    return false;
  }

  #call(peer: AuthorityPeer, p: PkiProtocol, body: Uint8Array, maxResponseBytes: number): Promise<Uint8Array> {
    return callRpc(this.#c.host, peer.peerId, peer.addresses, PKI_PROTOCOLS[p], body, { maxResponseBytes, timeoutMs: this.#rpcTimeoutMs });
  }

  /** Writes the published document when it is new or has gained signatures. */
  async #persistIfPublished(epoch: number): Promise<void> {
    const p = this.#state.published(epoch);
    if (!p) return;
    const saved = this.#saved.get(epoch);
    if (saved !== undefined && saved >= p.signatures.length) return;
    if (saved === undefined && !this.#adopted.has(epoch)) {
      this.#stats.documentsPublished++;
      this.#log.info('published the document', { epoch, signatures: p.signatures.length });
    }
    this.#saved.set(epoch, p.signatures.length);
    try {
      await this.#store.save(epoch, p);
    } catch (err) {
      this.#saved.delete(epoch);
      this.#log.error('cannot write the document', { epoch, error: (err as Error).message });
    }
  }

  // ------------------------------------------------------------ handlers

  #refuse<K extends string>(counter: Record<K, number>, reason: K, detail: string): never {
    counter[reason]++;
    throw new RpcRefusal(detail);
  }

  #authority(from: PeerId): AuthorityPeer | undefined {
    return this.#others.find((a) => a.peerId.equals(from));
  }

  async #onDescriptor(body: Uint8Array): Promise<Uint8Array> {
    let signed;
    try {
      signed = decodeDescriptorRequest(body);
    } catch (err) {
      this.#refuse(this.#stats.descriptorsRefused, 'malformed', `malformed: ${(err as Error).message}`);
    }
    await this.#refreshAdmission(false);
    // Both share exchanges with some authority are done: it could never learn this descriptor (share-exchanges.ts).
    // A descriptor for another epoch is still wrong-epoch (a node whose clock is ahead retries that one).
    const rejection = this.#state.addDescriptor(signed, this.#c.clock.now(), this.#exchanges.closed(this.#epochNow() + 1));
    if (rejection) {
      if (rejection === 'not-admitted' || rejection === 'full') this.#logRefusal(signed, rejection);
      this.#refuse(this.#stats.descriptorsRefused, rejection, rejection);
    }
    this.#stats.descriptorsAccepted++;
    return new Uint8Array(0);
  }

  /** Logs a refused upload once per node and epoch (at most 64 lines an epoch; the counters have every one). */
  #logRefusal(signed: { bytes: Uint8Array; signature: Uint8Array }, reason: DescriptorRejection): void {
    let d;
    try {
      d = verifyDescriptor(signed);
    } catch {
      return;
    }
    const id = toHex(d.identityKey);
    if (this.#loggedRefusals.has(id) || this.#loggedRefusals.size >= 64) return;
    this.#loggedRefusals.add(id);
    const why = reason === 'not-admitted' ? 'not admitted by this authority (chaff node admit)' : `the bound of descriptors per epoch is reached (authority.max_descriptors_per_epoch)`;
    this.#report('info', `descriptor refused: ${why}`, { reason, identity: id, name: d.name, role: d.role, epoch: d.epoch });
  }

  /** Views first: the share rule for descriptors counts the views held. */
  #mergeShare(peer: AuthorityPeer, descriptors: readonly SignedDescriptor[], views: readonly SignedAdmissionView[]): number {
    const now = this.#c.clock.now();
    for (const v of views) {
      const r = this.#state.addView(v, now);
      if (r) this.#stats.viewsRefused[r]++;
      else this.#stats.viewsReceived++;
    }
    const { kept, refused } = this.#state.mergeShared(descriptors, now);
    for (const [reason, n] of Object.entries(refused) as Array<[DescriptorRejection, number]>) this.#stats.sharedDescriptorsRefused[reason] += n;
    if (refused['not-admitted'] || refused.full) {
      this.#report('info', 'shared descriptors not kept', { from: peer.name, notAdmitted: refused['not-admitted'] ?? 0, full: refused.full ?? 0 });
    }
    return kept;
  }

  async #onShare(body: Uint8Array, from: PeerId): Promise<Uint8Array> {
    const r = this.#stats.sharesRefused;
    const peer = this.#authority(from);
    if (!peer) this.#refuse(r, 'not-authority', 'not-authority');
    let req;
    try {
      req = decodeShareRequest(body);
    } catch (err) {
      this.#refuse(r, 'malformed', `malformed: ${(err as Error).message}`);
    }
    if (req.epoch !== this.#epochNow() + 1) this.#refuse(r, 'wrong-epoch', 'wrong-epoch');
    // The reply carries this authority's view too: signed now if this share came before our own step.
    if (!this.#state.hasOwnView(req.epoch)) await this.#refreshAdmission(true);
    this.#state.ownView(req.epoch);
    const kept = this.#mergeShare(peer, req.descriptors, req.views);
    this.#stats.sharesReceived++;
    this.#log.debug('share received', { from: peer.name, epoch: req.epoch, descriptors: req.descriptors.length, views: req.views.length, kept });
    // The reply shares back what this authority holds (the same encoding).
    const reply = encodeShareRequest({ epoch: req.epoch, descriptors: this.#state.descriptorsFor(req.epoch), views: this.#state.viewsFor(req.epoch) });
    this.#exchanges.answered(req.epoch, peer.name);
    return reply;
  }

  async #onSignature(body: Uint8Array, from: PeerId): Promise<Uint8Array> {
    const r = this.#stats.signaturesRefused;
    const peer = this.#authority(from);
    if (!peer) this.#refuse(r, 'not-authority', 'not-authority');
    let req;
    try {
      req = decodeSignatureRequest(body);
    } catch (err) {
      this.#refuse(r, 'malformed', `malformed: ${(err as Error).message}`);
    }
    const current = this.#epochNow();
    // The epoch being built, or (a late message across the boundary) the current one.
    if (req.epoch !== current + 1 && req.epoch !== current) this.#refuse(r, 'wrong-epoch', 'wrong-epoch');
    if (!ctEqual(req.signature.identityKey, peer.identityKey)) this.#refuse(r, 'wrong-signer', 'wrong-signer');
    if (validSigners({ document: req.document, signatures: [req.signature] }, [peer.identityKey]).size !== 1) {
      this.#refuse(r, 'bad-signature', 'bad-signature');
    }
    const built = this.#state.built(req.epoch);
    if (built === null) {
      // It signed before this authority did (clocks are never exactly equal): hold it until we sign.
      let held = this.#pending.get(req.epoch);
      if (!held) this.#pending.set(req.epoch, (held = new Map()));
      held.set(toHex(peer.identityKey), { document: req.document, signature: req.signature });
      this.#stats.signaturesReceived++;
      return new Uint8Array(0);
    }
    if (!ctEqual(built, req.document)) this.#refuse(r, 'mismatch', 'mismatch: signed a different document');
    this.#state.addSignature(req.epoch, req.document, req.signature);
    this.#stats.signaturesReceived++;
    await this.#persistIfPublished(req.epoch);
    return new Uint8Array(0);
  }

  #onDocument(body: Uint8Array): Uint8Array {
    let epoch;
    try {
      epoch = decodeDocumentRequest(body);
    } catch (err) {
      this.#refuse(this.#stats.documentRequestsRefused, 'malformed', `malformed: ${(err as Error).message}`);
    }
    const p = this.#state.published(epoch);
    if (!p) this.#refuse(this.#stats.documentRequestsRefused, 'not-published', 'not published yet');
    this.#stats.documentsServed++;
    return encodeSignedDocument(p);
  }
}

/** The round log starts checking for compaction at this size. */
const COMPACT_MIN_BYTES = 1 << 20;

function toRecord(item: StoredItem): RoundRecord {
  return 'view' in item ? { type: RECORD_VIEW, body: encodeSignedAdmissionView(item.view) } : { type: RECORD_DESCRIPTOR, body: encodeSignedDescriptor(item.descriptor) };
}
