// Who may become (and stay active as) a client of this gateway: the
// operator's registration policy and the bounds that keep many fresh
// identities from one place from multiplying one client's share
// (docs/gateway.md §Registration policy, §Bounds).
//
// - mode: "open" (anyone, at the cost of a proof of work of `proofBits`),
//   "invite" (a single-use token the operator minted), "closed" (nobody new).
// - New registrations are rate-limited for the whole gateway (`perHour`) and
//   per source address (`perAddressPerHour`; IPv4 /32, IPv6 /64), and the
//   registry holds at most `maxClients`.
// - At most `connectionsPerAddress` client identities from one address may
//   hold send streams at once, so 40 identities behind one address do not
//   get 40 token buckets' worth of the mixnet.
// All state here is bounded: per-address buckets are dropped once full again
// (idle) and their number is capped.

import type { Multiaddr } from '@multiformats/multiaddr';
import { TokenBucket } from './token-bucket.js';

export type RegistrationMode = 'open' | 'invite' | 'closed';
export const REGISTRATION_MODES: readonly RegistrationMode[] = ['open', 'invite', 'closed'];

export interface RegistrationPolicy {
  readonly mode: RegistrationMode;
  /** "open": leading zero bits of the registration proof of work (0: free). */
  readonly proofBits: number;
  /** Registered clients at most. */
  readonly maxClients: number;
  /** New registrations per hour, whole gateway (also the burst). */
  readonly perHour: number;
  /** New registrations per hour from one source address (also the burst). */
  readonly perAddressPerHour: number;
  /** Client identities from one source address with send streams open at once. */
  readonly connectionsPerAddress: number;
  /** A registration with no fetch and no send for this long expires, with its mailbox. */
  readonly idleExpiryMs: number;
}

export const DEFAULT_REGISTRATION_POLICY: Readonly<RegistrationPolicy> = {
  mode: 'open',
  proofBits: 16,
  maxClients: 10_000,
  perHour: 600,
  perAddressPerHour: 10,
  connectionsPerAddress: 16,
  idleExpiryMs: 30 * 86_400_000,
};

/** Source addresses tracked at once (registration buckets, connections); beyond this, new addresses are refused. */
const MAX_TRACKED_ADDRESSES = 65_536;

export function checkRegistrationPolicy(p: RegistrationPolicy): void {
  if (!REGISTRATION_MODES.includes(p.mode)) throw new RangeError(`registration mode must be one of ${REGISTRATION_MODES.join(', ')}, got ${p.mode}`);
  if (!Number.isInteger(p.proofBits) || p.proofBits < 0 || p.proofBits > 32) throw new RangeError(`proofBits must be 0 … 32, got ${p.proofBits}`);
  for (const name of ['maxClients', 'perHour', 'perAddressPerHour', 'connectionsPerAddress', 'idleExpiryMs'] as const) {
    if (!Number.isSafeInteger(p[name]) || p[name] < 1) throw new RangeError(`${name} must be a positive integer, got ${p[name]}`);
  }
}

/**
 * The part of a remote address that identifies where a connection comes
 * from: "ip4:a.b.c.d", "ip6:" + the first 64 bits, or "other:" + the address.
 */
export function sourceOf(address: Multiaddr | undefined): string {
  if (!address) return 'unknown';
  const [first] = address.getComponents();
  if (first?.name === 'ip4' && first.value) return `ip4:${first.value}`;
  if (first?.name === 'ip6' && first.value) return `ip6:${ipv6Prefix64(first.value)}`;
  return `other:${first?.name ?? ''}/${first?.value ?? ''}`;
}

/** The first four 16-bit groups of an IPv6 address, expanded. */
export function ipv6Prefix64(address: string): string {
  const [head, tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right];
  return groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':');
}

export type AdmissionRefusal = 'rate-limited' | 'address-limit';

export class ClientAdmission {
  readonly policy: Readonly<RegistrationPolicy>;
  readonly #global: TokenBucket;
  readonly #perAddress = new Map<string, TokenBucket>();
  /** source → client ids (hex) with send streams open → their open stream count. */
  readonly #connected = new Map<string, Map<string, number>>();

  constructor(policy: RegistrationPolicy, nowMs: number) {
    checkRegistrationPolicy(policy);
    this.policy = policy;
    this.#global = new TokenBucket(policy.perHour / 3600, policy.perHour, nowMs);
  }

  /**
   * Charges one new registration from `source` to the per-address and the
   * gateway-wide budgets, or says which is exhausted (nothing charged then).
   */
  chargeRegistration(source: string, nowMs: number): AdmissionRefusal | null {
    let bucket = this.#perAddress.get(source);
    if (bucket === undefined) {
      if (this.#perAddress.size >= MAX_TRACKED_ADDRESSES) this.prune(nowMs);
      if (this.#perAddress.size >= MAX_TRACKED_ADDRESSES) return 'address-limit';
      bucket = new TokenBucket(this.policy.perAddressPerHour / 3600, this.policy.perAddressPerHour, nowMs);
      this.#perAddress.set(source, bucket);
    }
    if (!bucket.available(nowMs)) return 'address-limit';
    if (!this.#global.take(nowMs)) return 'rate-limited';
    bucket.take(nowMs);
    return null;
  }

  /** A send stream of client `client` from `source` opens: false if the address already has its share of active identities. */
  openStream(source: string, client: string): boolean {
    let clients = this.#connected.get(source);
    if (clients === undefined) {
      if (this.#connected.size >= MAX_TRACKED_ADDRESSES) return false;
      clients = new Map();
      this.#connected.set(source, clients);
    }
    const open = clients.get(client);
    if (open === undefined && clients.size >= this.policy.connectionsPerAddress) return false;
    clients.set(client, (open ?? 0) + 1);
    return true;
  }

  /** A send stream opened by openStream closed. */
  closeStream(source: string, client: string): void {
    const clients = this.#connected.get(source);
    const open = clients?.get(client);
    if (clients === undefined || open === undefined) return;
    if (open > 1) clients.set(client, open - 1);
    else clients.delete(client);
    if (clients.size === 0) this.#connected.delete(source);
  }

  /** Drops per-address registration buckets that are full again (as good as new); returns how many. */
  prune(nowMs: number): number {
    let pruned = 0;
    for (const [source, bucket] of this.#perAddress) {
      if (bucket.isFull(nowMs)) {
        this.#perAddress.delete(source);
        pruned++;
      }
    }
    return pruned;
  }

  /** Tracked addresses (registration buckets; addresses with open streams). */
  tracked(): { registrationBuckets: number; connectedAddresses: number } {
    return { registrationBuckets: this.#perAddress.size, connectedAddresses: this.#connected.size };
  }
}
