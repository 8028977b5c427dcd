// Stream ciphers on node:crypto (OpenSSL).

import { createCipheriv } from 'node:crypto';

/** `length` bytes of AES-256-CTR key stream (NIST SP 800-38A; 16-byte IV = initial counter block). */
export function aes256CtrKeyStream(key: Uint8Array, iv: Uint8Array, length: number): Uint8Array {
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  return new Uint8Array(cipher.update(new Uint8Array(length)));
}

/** XORs AES-256-CTR key stream into `data` in place. */
export function aes256CtrXor(key: Uint8Array, iv: Uint8Array, data: Uint8Array): void {
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  data.set(cipher.update(data));
}

const ZERO_CHACHA_IV = new Uint8Array(16); // 32-bit block counter 0 ‖ 96-bit nonce 0 (RFC 8439 §2.3)

/** The first `length` bytes of ChaCha20 (RFC 8439) key stream under `key` with an all-zero nonce. */
export function chacha20KeyStream(key: Uint8Array, length: number): Uint8Array {
  const cipher = createCipheriv('chacha20', key, ZERO_CHACHA_IV);
  return new Uint8Array(cipher.update(new Uint8Array(length)));
}
