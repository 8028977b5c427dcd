// TEMPORARY: npm aez until protocol/crypto/aez.ts lands.
import { createRequire } from 'node:module';
const aez = createRequire(import.meta.url)('aez') as {
  encrypt(k: Buffer, n: Buffer, ad: Buffer[], tau: number, m: Buffer): Buffer;
  decrypt(k: Buffer, n: Buffer, ad: Buffer[], tau: number, c: Buffer): Buffer | null;
};
const B = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
export function sprpEncrypt(key: Uint8Array, iv: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
  dst.set(aez.encrypt(B(key), B(iv), [], 0, Buffer.from(src)));
}
export function sprpDecrypt(key: Uint8Array, iv: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
  dst.set(aez.decrypt(B(key), B(iv), [], 0, Buffer.from(src))!);
}
