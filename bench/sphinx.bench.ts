// Sphinx at the production geometry: unwrap and 5-hop creation, each against
// one node:crypto X25519 (key objects ready) measured in the same run. The
// floor for unwrap is about 2 X25519 (shared secret and blinding; libsodium's
// X25519 on raw bytes is a little faster than the baseline, so a little under).
// unwrap runs on the loaded back end (`backend`: the native addon, or
// TypeScript without it); the TypeScript path is measured in the same run too.

import { toHex } from '../protocol/bytes.js';
import { sprpDecrypt } from '../protocol/crypto/aez.js';
import { hmacSha256, sha512_256 } from '../protocol/crypto/hash.js';
import { systemRandom } from '../protocol/crypto/random.js';
import { aes256CtrXor } from '../protocol/crypto/stream.js';
import { blindingBackend, importPublicKey, X25519PrivateKey, x25519 } from '../protocol/crypto/x25519.js';
import { nativeSphinx, sphinxBackend } from '../protocol/crypto/native.js';
import { deriveKeys, delay, PRODUCTION_GEOMETRY, recipient, Sphinx, type PathHop } from '../protocol/sphinx/index.js';
import { unwrapWith } from '../protocol/sphinx/packet.js';
import { round, timeRelative, timeUs, type Benchmark } from './harness.js';

const geometry = PRODUCTION_GEOMETRY;

function setup() {
  const sphinx = new Sphinx(geometry);
  const nodes = Array.from({ length: geometry.nrHops }, () => ({ id: systemRandom(32), key: X25519PrivateKey.generate() }));
  const path: PathHop[] = nodes.map((n, i) => ({
    id: n.id,
    publicKey: n.key.publicKey,
    commands: i === nodes.length - 1 ? [recipient(new Uint8Array(32))] : [delay(500)],
  }));
  const payload = systemRandom(geometry.forwardPayloadLength);
  return { sphinx, nodes, path, payload };
}

/** The baseline: one X25519 shared secret on node:crypto with both key objects ready. */
function x25519Baseline(): () => void {
  const a = X25519PrivateKey.generate();
  const b = importPublicKey(X25519PrivateKey.generate().publicKey);
  return () => void a.sharedSecret(b);
}

function x25519Us(): number {
  return timeUs(x25519Baseline());
}

const geometryFigures = { packetBytes: geometry.packetLength, hops: geometry.nrHops, blinding: blindingBackend, backend: sphinxBackend };

export const benchmarks: Benchmark[] = [
  {
    name: 'sphinx.unwrap',
    description: 'µs per unwrap of a forwarded packet at the production geometry, and the ratio to one node:crypto X25519',
    async run() {
      const { sphinx, nodes, path, payload } = setup();
      const packets = Array.from({ length: 32 }, () => sphinx.newPacket(path, payload));
      let i = 0;
      const t = timeRelative(() => void sphinx.unwrap(nodes[0].key, packets[i++ & 31]), x25519Baseline());
      const ts = timeRelative(() => void unwrapWith('typescript', geometry, nodes[0].key, packets[i++ & 31]), x25519Baseline(), { batches: 9 });
      return {
        ...geometryFigures,
        us: round(t.us),
        x25519Us: round(t.baselineUs),
        ratio: round(t.ratio),
        ratioTarget: 3,
        perSecond: Math.round(1e6 / t.us),
        typescriptUs: round(ts.us),
        typescriptRatio: round(ts.ratio),
      };
    },
  },
  {
    name: 'sphinx.create',
    description: 'µs per 5-hop forward packet creation at the production geometry, and the ratio to one node:crypto X25519',
    async run() {
      const { sphinx, path, payload } = setup();
      const t = timeRelative(() => void sphinx.newPacket(path, payload), x25519Baseline(), { batches: 9, batchMs: 100 });
      return { ...geometryFigures, us: round(t.us), x25519Us: round(t.baselineUs), ratio: round(t.ratio) };
    },
  },
  {
    name: 'sphinx.unwrap-parts',
    description: 'µs of each step of one unwrap (profile), with the X25519 baseline',
    async run() {
      const node = X25519PrivateKey.generate();
      const alpha = X25519PrivateKey.generate().publicKey;
      const secret = node.sharedSecret(alpha);
      const keys = deriveKeys(secret);
      const header = systemRandom(geometry.headerLength);
      const routing = new Uint8Array(geometry.routingInfoLength + geometry.perHopRoutingInfoLength);
      const body = systemRandom(geometry.packetLength - geometry.headerLength);
      const parts = {
        sharedSecretUs: timeUs(() => void node.sharedSecret(alpha)),
        blindUs: timeUs(() => void x25519(keys.blindingFactor, alpha)),
        kdfUs: timeUs(() => void deriveKeys(secret)),
        replayTagUs: timeUs(() => void sha512_256(alpha)),
        headerMacUs: timeUs(() => void hmacSha256(keys.headerMac, header.subarray(0, geometry.headerLength - 32))),
        routingDecryptUs: timeUs(() => aes256CtrXor(keys.headerEncryption, keys.headerEncryptionIV, routing)),
        payloadSprpUs: timeUs(() => sprpDecrypt(keys.payloadEncryption, keys.headerEncryptionIV, body, body)),
      };
      // The native addon does the tag, KDF, MAC, β, payload and blinding-factor steps in one call (on a real packet).
      const hop = nativeSphinx;
      const real = setup();
      const packet = real.sphinx.newPacket(real.path, real.payload);
      const realSecret = real.nodes[0].key.sharedSecret(packet.subarray(2, 2 + geometry.groupElementLength));
      const out = new Uint8Array(geometry.packetLength);
      const commands = new Uint8Array(geometry.perHopRoutingInfoLength);
      const blinding = new Uint8Array(32);
      const tag = new Uint8Array(32);
      const nativeHopUs = hop ? round(timeUs(() => void hop.sphinxHop(realSecret, packet, out, commands, blinding, tag, geometry.routingInfoLength))) : null;
      const base = x25519Us();
      return {
        ...Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, round(v)])),
        sumUs: round(Object.values(parts).reduce((a, b) => a + b, 0)),
        nativeHopUs,
        x25519Us: round(base),
        payloadBytes: body.length,
        alpha: toHex(alpha).slice(0, 8),
      };
    },
  },
];
