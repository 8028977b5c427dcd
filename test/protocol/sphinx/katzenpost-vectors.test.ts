// Conformance with Katzenpost: every hop of every case of their Sphinx
// vectors (next packet bytes, commands, final payloads, SURB payloads).

import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import { encodeCommand, Sphinx } from '../../../protocol/sphinx/index.js';
import { KATZENPOST_VECTOR_GEOMETRY, readKatzenpostVectors, type KatzenpostSphinxCase } from '../../helpers/katzenpost.js';

const cases = readKatzenpostVectors<KatzenpostSphinxCase[]>('sphinx_vectors.json');

describe('Sphinx: Katzenpost conformance vectors', function () {
  before(function () {
    if (!cases) this.skip(); // ../shared is not beside this checkout
  });

  it('has the 10 cases the vectors promise (1–5 hops, without and with SURB)', function () {
    assert.equal(cases!.length, 10);
    assert.deepEqual(cases!.map((c) => c.Path.length), [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
    assert.deepEqual(cases!.map((c) => c.Surb !== ''), [false, false, false, false, false, true, true, true, true, true]);
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
      const c = cases![n];
      const sphinx = new Sphinx(KATZENPOST_VECTOR_GEOMETRY);
      let packet = fromHex(c.Packets[0]);
      for (let i = 0; i < c.Nodes.length; i++) {
        const key = X25519PrivateKey.fromBytes(fromHex(c.Nodes[i].PrivateKey));
        assert.equal(toHex(key.publicKey), c.Path[i].PublicKey, `hop ${i}: public key`);
        const r = sphinx.unwrap(key, packet);
        const isLast = i === c.Nodes.length - 1;
        if (!isLast) {
          assert.equal(r.payload, null, `hop ${i}: no payload before the last hop`);
          assert.ok(r.packet, `hop ${i}: packet to forward`);
          assert.equal(toHex(r.packet), c.Packets[i + 1], `hop ${i}: next packet bytes`);
          assert.equal(r.commands.length, 2, `hop ${i}: delay and next-hop`);
          assert.equal(toHex(encodeCommand(r.commands[0])), c.Path[i].Commands[0], `hop ${i}: delay command`);
          assert.equal(r.commands[1].type, 'next-hop');
          assert.equal(r.commands[1].type === 'next-hop' && toHex(r.commands[1].id), c.Path[i + 1].ID, `hop ${i}: next hop id`);
          packet = r.packet;
        } else {
          assert.equal(r.packet, null);
          assert.deepEqual(r.commands.map((cmd) => toHex(encodeCommand(cmd))), c.Path[i].Commands, `hop ${i}: final commands`);
          assert.ok(r.payload);
          const payload = c.Surb ? sphinx.decryptSURBPayload(r.payload, fromHex(c.SurbKeys)) : r.payload;
          assert.equal(toHex(payload), c.Payload, 'final payload');
        }
        assert.equal(r.replayTag.length, 32);
      }
      assert.equal(c.Packets[c.Nodes.length], '', 'the vector ends with an empty packet');
    });
  }

  it('the same replay tag comes back for the same packet at the same hop', function () {
    const c = cases![4];
    const sphinx = new Sphinx(KATZENPOST_VECTOR_GEOMETRY);
    const key = X25519PrivateKey.fromBytes(fromHex(c.Nodes[0].PrivateKey));
    const a = sphinx.unwrap(key, fromHex(c.Packets[0]));
    const b = sphinx.unwrap(key, fromHex(c.Packets[0]));
    assert.deepEqual(a.replayTag, b.replayTag);
    const next = sphinx.unwrap(X25519PrivateKey.fromBytes(fromHex(c.Nodes[1].PrivateKey)), a.packet!);
    assert.notDeepEqual(next.replayTag, a.replayTag);
  });
});
