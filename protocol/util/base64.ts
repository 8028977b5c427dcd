// Standard base64 (RFC 4648 §4, with padding): the one helper for every
// stored or JSON form (client store files and codecs, reassembly state).
// Decoding is strict: Node's decoder silently skips bad characters,
// which would turn a damaged file into wrong bytes instead of an error.

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Decodes canonical padded base64; throws a RangeError naming `what` otherwise. */
export function fromBase64(text: unknown, what = 'base64 string'): Uint8Array {
  if (typeof text !== 'string' || !BASE64.test(text)) throw new RangeError(`${what} is not valid base64`);
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  // Non-canonical trailing bits ("QR==" vs "QQ==") would give two spellings of one value.
  if (toBase64(bytes) !== text) throw new RangeError(`${what} is not canonical base64`);
  return bytes;
}
