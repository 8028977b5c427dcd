// The optional native addon (native/sphinx-hop.c, built by `npm run
// build:native`): the AEZ SPRP on AES-NI and the symmetric part of a Sphinx
// hop in one call. Everything it does has a pure TypeScript twin, used when
// the addon is absent (not built, another CPU, no AES-NI) or turned off with
// CHAFF_NO_NATIVE=1; the tests run both and compare them byte for byte.

import { createRequire } from 'node:module';

export interface NativeSphinx {
  /** dst = AEZ Encipher (or Decipher) of src with τ = 0 and no AD; key 48 bytes, nonce 16, |src| = |dst| ≥ 32. */
  aezSprp(key: Uint8Array, nonce: Uint8Array, src: Uint8Array, dst: Uint8Array, decipher: boolean): void;
  /**
   * After the shared secret: the replay tag into `tag`; then, if the header MAC
   * verifies, this hop's routing commands into `commands` (perHop bytes), the
   * next hop's β and the payload one SPRP layer off into `out` (a packet-sized
   * buffer), and the blinding factor into `blinding`. Returns 0 (valid), 1
   * (MAC mismatch) or −1 (an OpenSSL failure).
   */
  sphinxHop(secret: Uint8Array, packet: Uint8Array, out: Uint8Array, commands: Uint8Array, blinding: Uint8Array, tag: Uint8Array, routingInfoLength: number): number;
}

/** Where the build script writes the addon. */
export const NATIVE_ADDON_PATH = new URL('../../native/build/chaff_native.node', import.meta.url);

function load(): NativeSphinx | null {
  if (process.env.CHAFF_NO_NATIVE === '1') return null;
  try {
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH.pathname) as NativeSphinx & { available?: boolean };
    return addon.available === true && typeof addon.aezSprp === 'function' && typeof addon.sphinxHop === 'function' ? addon : null;
  } catch {
    return null;
  }
}

/** The addon, or null when the pure TypeScript path runs. */
export const nativeSphinx: NativeSphinx | null = load();

export type SphinxBackend = 'native' | 'typescript';

/** Which implementation the Sphinx hop and the AEZ SPRP use. */
export const sphinxBackend: SphinxBackend = nativeSphinx ? 'native' : 'typescript';
