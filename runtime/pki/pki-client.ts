// What mixes, gateways (and clients) use to talk to the directory
// authorities (docs/pki.md §Network protocols, §Client behaviour):
// uploading the node's descriptor to every authority, and fetching the
// document of an epoch. A fetched document is used only if a majority of the
// configured authorities signed it: one authority's word is never enough,
// whoever serves it. Verified documents are cached in memory and on disk.
//
// A Startable (start reloads the disk cache) built from its init options (the
// authorities, where to cache) and its components (the host's dial method, a
// Logger).

import { join } from 'node:path';
import type { Startable } from '../lifecycle/startable.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Document } from '../../protocol/pki/document.js';
import { decodeSignedDocument, verifyDocument, type SignedDocument } from '../../protocol/pki/signatures.js';
import type { SignedDescriptor } from '../../protocol/pki/descriptor.js';
import type { DialHost } from '../net/host.js';
import { callRpc, RpcError } from '../net/rpc.js';
import type { AuthorityPeer } from './authority-peers.js';
import { DocumentStore } from './document-store.js';
import { encodeDescriptorRequest, encodeDocumentRequest, MAX_DOCUMENT_RESPONSE_BYTES, PKI_PROTOCOLS } from './wire.js';

export interface VerifiedDocument {
  epoch: number;
  signed: SignedDocument;
  document: Document;
}

export interface UploadResult {
  /** Authorities that accepted the descriptor. */
  accepted: number;
  /** Authorities that refused it, with their reason (e.g. "wrong-epoch", "too-late"). */
  refused: Array<{ authority: string; reason: string }>;
  /** Authorities that could not be reached or did not answer in time. */
  failed: Array<{ authority: string; error: string }>;
}

export class PkiFetchError extends Error {
  readonly epoch: number;
  /** What each authority asked said or did. */
  readonly attempts: Array<{ authority: string; error: string }>;
  constructor(epoch: number, attempts: Array<{ authority: string; error: string }>) {
    super(`pki: no verified document for epoch ${epoch} (${attempts.map((a) => `${a.authority}: ${a.error}`).join('; ') || 'no authorities'})`);
    this.name = 'PkiFetchError';
    this.epoch = epoch;
    this.attempts = attempts;
  }
}

/** What a PKI client uses: the host's dial method, and a logger (refused or unverifiable documents at warn). Default logger: silent. */
export interface PkiClientComponents {
  host: DialHost;
  logger?: Logger;
}

export interface PkiClientInit {
  authorities: readonly AuthorityPeer[];
  /** Verified documents are cached in `<dataDir>/pki-cache/`; without it, in memory only. */
  dataDir?: string;
  /** Deadline per RPC. Default 10 s. */
  rpcTimeoutMs?: number;
  /** Documents kept in the cache (the most recent epochs). Default 4. */
  cacheEpochs?: number;
  random?: () => number;
}

export interface PkiClientStats {
  uploads: number;
  fetches: number;
  fetchFailures: number;
  /** Documents served by an authority that did not verify (short of the threshold, forged, wrong epoch, garbage). */
  documentsRejected: number;
  cacheLoaded: number;
  cacheCorrupt: number;
}

export class PkiClient implements Startable {
  readonly #o: PkiClientInit;
  readonly #host: DialHost;
  readonly #keys: Uint8Array[];
  readonly #cache = new Map<number, VerifiedDocument>();
  readonly #store: DocumentStore | null;
  readonly #log: Logger;
  readonly #stats: PkiClientStats = { uploads: 0, fetches: 0, fetchFailures: 0, documentsRejected: 0, cacheLoaded: 0, cacheCorrupt: 0 };

  constructor(components: PkiClientComponents, init: PkiClientInit) {
    if (init.authorities.length === 0) throw new RangeError('PkiClient: no authorities configured');
    this.#o = init;
    this.#host = components.host;
    this.#keys = init.authorities.map((a) => a.identityKey);
    this.#store = init.dataDir ? new DocumentStore(join(init.dataDir, 'pki-cache')) : null;
    this.#log = components.logger ?? silentLogger;
  }

  stats(): PkiClientStats {
    return this.#stats;
  }

  /** Reloads the cached documents from disk (each verified again). */
  async start(): Promise<void> {
    if (!this.#store) return;
    const { documents, corrupt } = await this.#store.loadAll();
    this.#stats.cacheCorrupt += corrupt.length;
    for (const { epoch, signed } of documents) {
      try {
        this.#remember(this.#verify(epoch, signed));
        this.#stats.cacheLoaded++;
      } catch (err) {
        this.#stats.cacheCorrupt++;
        this.#log.error('a cached document does not verify; ignored', { epoch, error: (err as Error).message });
      }
    }
  }

  /** Nothing to release: every call holds its own stream. */
  async stop(): Promise<void> {}

  /** A verified document already held for `epoch`. */
  cached(epoch: number): VerifiedDocument | undefined {
    return this.#cache.get(epoch);
  }

  /** Every verified document held (those cached on disk are loaded at start), newest first. */
  held(): VerifiedDocument[] {
    return [...this.#cache.values()].sort((a, b) => b.epoch - a.epoch);
  }

  #timeout(): number {
    return this.#o.rpcTimeoutMs ?? 10_000;
  }

  /** Sends the signed descriptor to every authority at once; never throws for an authority's failure. */
  async uploadDescriptor(signed: SignedDescriptor): Promise<UploadResult> {
    const body = encodeDescriptorRequest(signed);
    const result: UploadResult = { accepted: 0, refused: [], failed: [] };
    await Promise.all(
      this.#o.authorities.map(async (a) => {
        try {
          await callRpc(this.#host, a.peerId, a.addresses, PKI_PROTOCOLS.descriptor, body, { maxResponseBytes: 1024, timeoutMs: this.#timeout() });
          result.accepted++;
        } catch (err) {
          if (err instanceof RpcError && err.code === 'refused') result.refused.push({ authority: a.name, reason: err.message });
          else result.failed.push({ authority: a.name, error: (err as Error).message });
        }
      }),
    );
    this.#stats.uploads++;
    if (result.accepted < this.#o.authorities.length) {
      this.#log.debug('descriptor not accepted by every authority', { accepted: result.accepted, authorities: this.#o.authorities.length, refused: result.refused, failed: result.failed });
    }
    return result;
  }

  /**
   * The threshold-signed document for `epoch`: from the cache, or asked of
   * the authorities in random order until one serves a document that
   * verifies against the configured keys. Throws PkiFetchError.
   */
  async fetchDocument(epoch: number): Promise<VerifiedDocument> {
    const held = this.#cache.get(epoch);
    if (held) return held;
    this.#stats.fetches++;
    const random = this.#o.random ?? Math.random;
    const order = this.#o.authorities
      .map((a) => ({ a, k: random() }))
      .sort((x, y) => x.k - y.k)
      .map((x) => x.a);
    const attempts: Array<{ authority: string; error: string }> = [];
    for (const a of order) {
      let reply: Uint8Array;
      try {
        reply = await callRpc(this.#host, a.peerId, a.addresses, PKI_PROTOCOLS.document, encodeDocumentRequest(epoch), {
          maxResponseBytes: MAX_DOCUMENT_RESPONSE_BYTES,
          timeoutMs: this.#timeout(),
        });
      } catch (err) {
        attempts.push({ authority: a.name, error: (err as Error).message });
        continue;
      }
      try {
        const verified = this.#verify(epoch, decodeSignedDocument(reply));
        this.#remember(verified);
        await this.#persist(verified);
        return verified;
      } catch (err) {
        this.#stats.documentsRejected++;
        this.#log.warn('an authority served a document that does not verify', { authority: a.name, epoch, error: (err as Error).message });
        attempts.push({ authority: a.name, error: `rejected: ${(err as Error).message}` });
      }
    }
    this.#stats.fetchFailures++;
    throw new PkiFetchError(epoch, attempts);
  }

  #verify(epoch: number, signed: SignedDocument): VerifiedDocument {
    const document = verifyDocument(signed, this.#keys);
    if (document.epoch !== epoch) throw new Error(`document is for epoch ${document.epoch}, not ${epoch}`);
    return { epoch, signed, document };
  }

  #remember(v: VerifiedDocument): void {
    this.#cache.set(v.epoch, v);
    const keep = this.#o.cacheEpochs ?? 4;
    const epochs = [...this.#cache.keys()].sort((a, b) => b - a);
    for (const e of epochs.slice(keep)) this.#cache.delete(e);
  }

  async #persist(v: VerifiedDocument): Promise<void> {
    if (!this.#store) return;
    try {
      await this.#store.save(v.epoch, v.signed);
      const oldest = Math.min(...this.#cache.keys());
      await this.#store.pruneBefore(oldest);
    } catch (err) {
      this.#log.error('cannot cache the document', { epoch: v.epoch, error: (err as Error).message });
    }
  }
}
