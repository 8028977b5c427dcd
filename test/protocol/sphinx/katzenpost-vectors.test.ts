// Conformance with Katzenpost: every hop of every case of their Sphinx
// vectors (next packet bytes, commands, final payloads, SURB payloads).

import assert from 'node:assert/strict';
import { fromHex } from '../../../protocol/bytes.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import { Sphinx } from '../../../protocol/sphinx/index.js';
import { KATZENPOST_VECTOR_GEOMETRY, readKatzenpostVectors, type KatzenpostSphinxCase } from '../../helpers/katzenpost.js';
import { forwardedPacket } from '../../helpers/sphinx-fixtures.js';
import { verifyVectorCase } from '../../helpers/verify-vector.js';

const cases = readKatzenpostVectors<KatzenpostSphinxCase[]>('sphinx_vectors.json');

describe('Sphinx: Katzenpost conformance vectors', function () {
  before(function () {
    if (!cases) this.skip(); // ../shared is not beside this checkout
  });

  it('has the 10 cases the vectors promise (1–5 hops, without and with SURB)', function () {
    assert.equal(cases!.length, 10);
    assert.deepEqual(
      cases!.map((c) => c.Path.length),
      [1, 2, 3, 4, 5, 1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      cases!.map((c) => c.Surb !== ''),
      [false, false, false, false, false, true, true, true, true, true],
    );
  });

  it('computes the packet and SURB lengths of the vectors', function () {
    const sphinx = new Sphinx(KATZENPOST_VECTOR_GEOMETRY);
    for (const c of cases!) {
      assert.equal(fromHex(c.Packets[0]).length, sphinx.geometry.packetLength);
      if (c.Surb) assert.equal(fromHex(c.Surb).length, sphinx.geometry.surbLength);
    }
  });

  for (let n = 0; n < 10; n++) {
    it(`case ${n}: every hop gives the vector's next packet, commands and final payload`, function () {
      verifyVectorCase(new Sphinx(KATZENPOST_VECTOR_GEOMETRY), cases![n]);
    });
  }

  it('the same replay tag comes back for the same packet at the same hop', function () {
    const c = cases![4];
    const sphinx = new Sphinx(KATZENPOST_VECTOR_GEOMETRY);
    const key = X25519PrivateKey.fromBytes(fromHex(c.Nodes[0].PrivateKey));
    const a = sphinx.unwrap(key, fromHex(c.Packets[0]));
    const b = sphinx.unwrap(key, fromHex(c.Packets[0]));
    assert.deepEqual(a.replayTag, b.replayTag);
    const next = sphinx.unwrap(X25519PrivateKey.fromBytes(fromHex(c.Nodes[1].PrivateKey)), forwardedPacket(a));
    assert.notDeepEqual(next.replayTag, a.replayTag);
  });
});
