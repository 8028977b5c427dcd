// A compact set of 64-bit fingerprints of replay tags, for the replay cache's
// in-memory check. A mix sees every packet of an epoch once, so the set can
// grow to millions of entries per live epoch; a Set of 32-byte strings costs
// about 80 bytes per tag in V8, this table 16 (8-byte slots, load ≤ 0.5)
// and allocates nothing per lookup.
//
// Open addressing with linear probing over a Uint32Array of (hi, lo) word
// pairs; (0, 0) marks an empty slot, so the fingerprint 0 is stored as 1.
// Deletion shifts later entries back (no tombstones), so lookups stay short.
//
// Replay tags are SHA-512/256 outputs: their first 8 bytes are uniform, so
// they serve directly as fingerprint and hash. Two different tags share a
// fingerprint with probability about n / 2^64 per lookup (n tags stored):
// 3·10⁻¹³ for 6 million tags. Such a packet would be dropped as a replay.
// The full tags stay on disk.

const MIN_CAPACITY = 1024;

export class FingerprintSet {
  #words: Uint32Array;
  #mask: number;
  #size = 0;

  constructor(expected = MIN_CAPACITY / 2) {
    let capacity = MIN_CAPACITY;
    while (capacity < expected * 2) capacity *= 2;
    this.#words = new Uint32Array(capacity * 2);
    this.#mask = capacity - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.#words.byteLength;
  }

  /** True if `tag`'s fingerprint was absent and is now present. */
  add(tag: Uint8Array): boolean {
    const hi = word(tag, 0);
    const lo = word(tag, 4) || (hi === 0 ? 1 : 0);
    if (this.#find(hi, lo) >= 0) return false;
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#grow();
    this.#insert(hi, lo);
    this.#size++;
    return true;
  }

  has(tag: Uint8Array): boolean {
    const hi = word(tag, 0);
    return this.#find(hi, word(tag, 4) || (hi === 0 ? 1 : 0)) >= 0;
  }

  /** Removes `tag`'s fingerprint; true if it was present. */
  delete(tag: Uint8Array): boolean {
    const hi = word(tag, 0);
    let slot = this.#find(hi, word(tag, 4) || (hi === 0 ? 1 : 0));
    if (slot < 0) return false;
    const w = this.#words;
    const mask = this.#mask;
    // Backward-shift deletion: move later entries of the run into the hole
    // when their home slot is not between the hole and their position.
    let next = (slot + 1) & mask;
    while (w[2 * next] !== 0 || w[2 * next + 1] !== 0) {
      const home = w[2 * next + 1] & mask;
      const between = slot <= next ? slot < home && home <= next : slot < home || home <= next;
      if (!between) {
        w[2 * slot] = w[2 * next];
        w[2 * slot + 1] = w[2 * next + 1];
        slot = next;
      }
      next = (next + 1) & mask;
    }
    w[2 * slot] = 0;
    w[2 * slot + 1] = 0;
    this.#size--;
    return true;
  }

  #find(hi: number, lo: number): number {
    const w = this.#words;
    const mask = this.#mask;
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      const h = w[2 * i];
      const l = w[2 * i + 1];
      if (h === hi && l === lo) return i;
      if (h === 0 && l === 0) return -1;
    }
  }

  #insert(hi: number, lo: number): void {
    const w = this.#words;
    const mask = this.#mask;
    let i = lo & mask;
    while (w[2 * i] !== 0 || w[2 * i + 1] !== 0) i = (i + 1) & mask;
    w[2 * i] = hi;
    w[2 * i + 1] = lo;
  }

  #grow(): void {
    const old = this.#words;
    this.#words = new Uint32Array(old.length * 2);
    this.#mask = this.#words.length / 2 - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) this.#insert(old[i], old[i + 1]);
  }
}

function word(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
