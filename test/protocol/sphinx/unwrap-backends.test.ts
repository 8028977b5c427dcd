// The two unwrap back ends (protocol/crypto/native.ts: the native addon, and
// the pure TypeScript path) give the same result, byte for byte, on every hop
// of the Katzenpost vectors and on packets of every kind and error at the
// production geometry. The vector test itself (katzenpost-vectors.test.ts)
// runs whichever back end is loaded; CHAFF_NO_NATIVE=1 runs it on TypeScript.

import assert from 'node:assert/strict';
import { fromHex } from '../../../protocol/bytes.js';
import { nativeSphinx } from '../../../protocol/crypto/native.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import { delay, geometryFromUserForwardPayloadLength, PRODUCTION_GEOMETRY, recipient, Sphinx, surbReply, type Geometry, type PathHop } from '../../../protocol/sphinx/index.js';
import { unwrapWith } from '../../../protocol/sphinx/packet.js';
import { KATZENPOST_VECTOR_GEOMETRY, readKatzenpostVectors, type KatzenpostSphinxCase } from '../../helpers/katzenpost.js';

const cases = readKatzenpostVectors<KatzenpostSphinxCase[]>('sphinx_vectors.json');

/** Both back ends' outcome for one packet: the result, or the error's code and replay tag. */
function both(geometry: Geometry, key: X25519PrivateKey, packet: Uint8Array): unknown {
  const run = (backend: 'native' | 'typescript') => {
    try {
      return unwrapWith(backend, geometry, key, packet);
    } catch (err) {
      const e = err as { code?: string; replayTag?: Uint8Array };
      return { error: e.code, replayTag: e.replayTag };
    }
  };
  const native = run('native');
  assert.deepEqual(native, run('typescript'));
  assert.deepEqual(Uint8Array.from(packet), packet, 'the packet is not modified');
  return native;
}

describe('Sphinx unwrap: native and TypeScript back ends agree', function () {
  before(function () {
    if (!nativeSphinx) this.skip(); // the addon is not built here: only the TypeScript path exists
  });

  it('on every hop of the Katzenpost vectors', function () {
    if (!cases) this.skip();
    const geometry = geometryFromUserForwardPayloadLength(KATZENPOST_VECTOR_GEOMETRY);
    for (const c of cases!) {
      for (let hop = 0; hop < c.Path.length; hop++) {
        const key = X25519PrivateKey.fromBytes(fromHex(c.Nodes[hop].PrivateKey));
        const result = both(geometry, key, fromHex(c.Packets[hop])) as { kind?: string; packet?: Uint8Array };
        if (hop + 1 < c.Packets.length && result.kind === 'forward') assert.deepEqual(result.packet, fromHex(c.Packets[hop + 1]));
      }
    }
  });

  it('on forward, final and SURB-reply hops and on every refusal, at the production geometry', function () {
    const geometry = PRODUCTION_GEOMETRY;
    const sphinx = new Sphinx(geometry);
    const nodes = Array.from({ length: 3 }, (_, i) => ({ id: new Uint8Array(32).fill(i + 1), key: X25519PrivateKey.generate() }));
    const path: PathHop[] = nodes.map((n, i) => ({ id: n.id, publicKey: n.key.publicKey, commands: i === 2 ? [recipient(new Uint8Array(32).fill(9))] : [delay(10 * i)] }));
    const payload = crypto.getRandomValues(new Uint8Array(geometry.forwardPayloadLength));
    let packet = sphinx.newPacket(path, payload);
    for (const n of nodes) {
      const r = both(geometry, n.key, packet) as { kind: string; packet?: Uint8Array; payload?: Uint8Array };
      if (r.kind === 'forward') packet = r.packet!;
      else assert.deepEqual(r.payload, payload);
    }
    const surbPath: PathHop[] = nodes.map((n, i) => ({
      id: n.id,
      publicKey: n.key.publicKey,
      commands: i === 2 ? [recipient(new Uint8Array(32).fill(9)), surbReply(new Uint8Array(16).fill(3))] : [],
    }));
    const { surb } = sphinx.newSURB(surbPath);
    let reply = sphinx.newPacketFromSURB(surb, payload).packet;
    for (const n of nodes) {
      const r = both(geometry, n.key, reply) as { kind: string; packet?: Uint8Array };
      if (r.kind === 'forward') reply = r.packet!;
      else assert.equal(r.kind, 'surb-reply');
    }
    const fresh = sphinx.newPacket(path, payload);
    const tampered = Uint8Array.from(fresh);
    tampered[geometry.headerLength + 5] ^= 1; // payload: passes this hop, garbled at the last
    assert.equal((both(geometry, nodes[0].key, tampered) as { kind: string }).kind, 'forward');
    assert.equal((both(geometry, X25519PrivateKey.generate(), fresh) as { error: string }).error, 'mac-mismatch');
    const badMac = Uint8Array.from(fresh);
    badMac[geometry.headerLength - 1] ^= 1;
    assert.equal((both(geometry, nodes[0].key, badMac) as { error: string }).error, 'mac-mismatch');
  });
});
