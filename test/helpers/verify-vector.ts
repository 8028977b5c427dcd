// Checks one vector case (Katzenpost layout) hop by hop: the next packet's
// bytes, the commands, and the final (or SURB-decrypted) payload.

import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { X25519PrivateKey } from '../../protocol/crypto/x25519.js';
import { encodeCommand, type Sphinx } from '../../protocol/sphinx/index.js';
import type { KatzenpostSphinxCase } from './katzenpost.js';

export function verifyVectorCase(sphinx: Sphinx, c: KatzenpostSphinxCase): void {
  let packet = fromHex(c.Packets[0]);
  assert.equal(packet.length, sphinx.geometry.packetLength, 'packet length');
  for (let i = 0; i < c.Nodes.length; i++) {
    const key = X25519PrivateKey.fromBytes(fromHex(c.Nodes[i].PrivateKey));
    assert.equal(toHex(key.publicKey), c.Path[i].PublicKey, `hop ${i}: public key`);
    const r = sphinx.unwrap(key, packet);
    assert.equal(r.replayTag.length, 32);
    const commands = r.commands.map((cmd) => toHex(encodeCommand(cmd)));
    if (i < c.Nodes.length - 1) {
      assert.ok(!('payload' in r), `hop ${i}: no payload before the last hop`);
      assert.ok(r.kind === 'forward', `hop ${i}: a packet to forward`);
      assert.equal(toHex(r.packet), c.Packets[i + 1], `hop ${i}: next packet bytes`);
      assert.deepEqual(commands.slice(0, -1), c.Path[i].Commands, `hop ${i}: commands`);
      const next = r.commands[r.commands.length - 1];
      assert.ok(next.type === 'next-hop' && toHex(next.id) === c.Path[i + 1].ID, `hop ${i}: next hop id`);
      packet = r.packet;
    } else {
      assert.ok(r.kind !== 'forward', 'the last hop does not forward');
      assert.deepEqual(commands, c.Path[i].Commands, 'final commands');
      assert.ok(r.payload);
      const payload = c.Surb ? sphinx.decryptSURBPayload(r.payload, fromHex(c.SurbKeys)) : r.payload;
      assert.equal(toHex(payload), c.Payload, 'final payload');
    }
  }
  assert.equal(c.Packets[c.Nodes.length], '', 'the vector ends with an empty packet');
}
