// Canonical JSON for signed PKI objects (docs/pki.md §Encoding): keys sorted,
// no whitespace, ECMAScript number formatting (RFC 8785 §3.2.2.3), strings
// limited to printable ASCII without '"' or a backslash, so nothing is ever
// escaped. Decoding re-encodes and insists on the same bytes, so every value
// has exactly one encoding and a signature covers one meaning.

/** A value the canonical encoder accepts. */
export type CanonicalValue = number | boolean | string | CanonicalValue[] | { [key: string]: CanonicalValue };

/** Printable ASCII without '"' and '\': the only characters a canonical string may hold. */
export const SAFE_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Canonical JSON bytes of `value`. Throws RangeError on anything outside the canonical subset. */
export function canonicalJson(value: CanonicalValue): Uint8Array {
  return new TextEncoder().encode(canonicalString(value));
}

function canonicalString(value: CanonicalValue): string {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError('canonical JSON: non-finite number');
      // ECMAScript Number::toString: the shortest round-tripping form (RFC 8785 §3.2.2.3). -0 prints as 0.
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      if (!SAFE_STRING.test(value)) throw new RangeError('canonical JSON: string outside printable ASCII or needs escaping');
      return `"${value}"`;
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalString).join(',')}]`;
      if (value === null) throw new RangeError('canonical JSON: null');
      const keys = Object.keys(value).sort(); // ASCII keys: code-unit order = byte order
      return `{${keys.map((k) => `${canonicalString(k)}:${canonicalString(value[k])}`).join(',')}}`;
    }
    default:
      throw new RangeError(`canonical JSON: unsupported ${typeof value}`);
  }
}

/**
 * Parses canonical JSON: `bytes` must be valid UTF-8 JSON that re-encodes to
 * exactly the same bytes. Returns undefined otherwise (the caller raises its own typed error).
 */
export function parseCanonicalJson(bytes: Uint8Array): unknown {
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  try {
    const again = canonicalString(value as CanonicalValue);
    return again === text ? value : undefined;
  } catch {
    return undefined;
  }
}
