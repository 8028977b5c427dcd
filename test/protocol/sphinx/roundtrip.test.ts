// Round trips at the production geometry: forward packets and SURB replies
// over 1–5 hops, and the typed errors of misuse.

import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import { nextHop, PRODUCTION_GEOMETRY, Sphinx, SphinxError, delay, type PathHop, type SphinxErrorCode } from '../../../protocol/sphinx/index.js';
import { deterministicRandom } from '../../helpers/drbg.js';
import { makeNodes, makePath, type TestNode } from '../../helpers/sphinx-fixtures.js';

const random = deterministicRandom('roundtrip');
const sphinx = new Sphinx(PRODUCTION_GEOMETRY);
const g = sphinx.geometry;

function failsWith(code: SphinxErrorCode, fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof SphinxError && err.code === code);
}

/** Unwraps `packet` along `nodes`; checks every hop; returns the final result. */
function route(nodes: TestNode[], path: PathHop[], packet: Uint8Array) {
  let current = packet;
  for (let i = 0; ; i++) {
    const r = sphinx.unwrap(nodes[i].key, current);
    assert.equal(r.replayTag.length, 32);
    if (i < nodes.length - 1) {
      assert.ok(r.kind === 'forward', `hop ${i} forwards`);
      assert.equal(r.packet.length, g.packetLength, 'length invariant');
      assert.ok(!('payload' in r));
      assert.deepEqual(r.commands.slice(0, -1), path[i].commands);
      const next = r.commands[r.commands.length - 1];
      assert.ok(next.type === 'next-hop' && toHex(next.id) === toHex(path[i + 1].id), `hop ${i}: next hop`);
      assert.ok(r.kind === 'forward', `hop ${i}: a forward hop`);
      assert.equal(toHex(r.nextHop), toHex(path[i + 1].id));
      const held = path[i].commands.find((c) => c.type === 'delay');
      assert.equal(r.delayMs, held?.type === 'delay' ? held.delayMs : 0);
      current = r.packet;
    } else {
      assert.ok(r.kind !== 'forward', 'last hop does not forward');
      assert.deepEqual(r.commands, path[i].commands);
      const surbReply = path[i].commands.find((c) => c.type === 'surb-reply');
      const recipient = path[i].commands.find((c) => c.type === 'recipient');
      assert.equal(r.kind, surbReply ? 'surb-reply' : 'final');
      assert.ok(r.recipient !== null && toHex(r.recipient) === toHex(recipient!.id), 'the recipient id');
      if (r.kind === 'surb-reply') assert.equal(toHex(r.surbId), toHex(surbReply!.id));
      return r;
    }
  }
}

describe('Sphinx round trips at the production geometry', function () {
  for (let hops = 1; hops <= 5; hops++) {
    it(`forward packet over ${hops} hop(s) delivers the payload`, function () {
      const nodes = makeNodes(hops, random);
      const path = makePath(nodes, random);
      const payload = random(g.forwardPayloadLength);
      const packet = sphinx.newPacket(path, payload);
      assert.equal(packet.length, g.packetLength);
      const r = route(nodes, path, packet);
      assert.equal(toHex(r.payload!), toHex(payload));
    });

    it(`SURB reply over ${hops} hop(s) decrypts for the SURB's creator only`, function () {
      const nodes = makeNodes(hops, random);
      const surbId = random(16);
      const path = makePath(nodes, random, surbId);
      const { surb, surbKeys, firstHop } = sphinx.newSURB(path);
      assert.equal(surb.length, g.surbLength);
      assert.equal(surbKeys.length, g.sprpKeyMaterialLength * (hops + 1));
      assert.equal(toHex(firstHop), toHex(nodes[0].id));

      const reply = random(g.forwardPayloadLength);
      const { packet, firstHop: sendTo } = sphinx.newPacketFromSURB(surb, reply);
      assert.equal(toHex(sendTo), toHex(nodes[0].id));
      const r = route(nodes, path, packet);
      assert.equal(r.payload!.length, g.payloadTagLength + g.forwardPayloadLength, 'the last hop cannot strip the tag');
      assert.equal(toHex(sphinx.decryptSURBPayload(r.payload!, surbKeys)), toHex(reply));

      const otherKeys = sphinx.newSURB(path).surbKeys;
      failsWith('payload-tag', () => sphinx.decryptSURBPayload(r.payload!, otherKeys));
      const tampered = Uint8Array.from(r.payload!);
      tampered[100] ^= 1;
      failsWith('payload-tag', () => sphinx.decryptSURBPayload(tampered, surbKeys));
    });
  }

  it('two packets for the same path share no header bytes beyond the version', function () {
    const nodes = makeNodes(5, random);
    const path = makePath(nodes, random);
    const payload = random(g.forwardPayloadLength);
    const a = sphinx.newPacket(path, payload);
    const b = sphinx.newPacket(path, payload);
    assert.notEqual(toHex(a.subarray(2, 34)), toHex(b.subarray(2, 34)), 'fresh α');
    assert.notEqual(toHex(a.subarray(g.headerLength)), toHex(b.subarray(g.headerLength)), 'payloads differ');
  });

  it('asks the random source for the filler of unused hops (Kuhn et al. 2020)', function () {
    const requests: number[] = [];
    const recording = new Sphinx(PRODUCTION_GEOMETRY, (n) => (requests.push(n), random(n)));
    const nodes = makeNodes(2, random);
    recording.newPacket(makePath(nodes, random), random(g.forwardPayloadLength));
    assert.deepEqual(requests, [32, 3 * g.perHopRoutingInfoLength]);
  });

  describe('errors', function () {
    const nodes = makeNodes(3, random);
    const path = makePath(nodes, random);
    const packet = sphinx.newPacket(path, random(g.forwardPayloadLength));

    it('a packet of the wrong size', function () {
      failsWith('wrong-size', () => sphinx.unwrap(nodes[0].key, packet.subarray(1)));
      failsWith('wrong-size', () => sphinx.unwrap(nodes[0].key, new Uint8Array(g.packetLength + 1)));
      failsWith('wrong-size', () => sphinx.unwrap(nodes[0].key, 'nope' as never));
    });
    it('a packet with an unknown version', function () {
      const bad = Uint8Array.from(packet);
      bad[1] = 1;
      failsWith('bad-version', () => sphinx.unwrap(nodes[0].key, bad));
    });
    it('the wrong node key: MAC mismatch, with the replay tag', function () {
      assert.throws(
        () => sphinx.unwrap(nodes[1].key, packet),
        (err: unknown) => err instanceof SphinxError && err.code === 'mac-mismatch' && err.replayTag?.length === 32,
      );
      failsWith('mac-mismatch', () => sphinx.unwrap(X25519PrivateKey.generate(), packet));
    });
    it('a low-order α', function () {
      const bad = Uint8Array.from(packet);
      bad.fill(0, 2, 34);
      failsWith('low-order-point', () => sphinx.unwrap(nodes[0].key, bad));
    });
    it('payloads and SURBs of the wrong size', function () {
      failsWith('wrong-size', () => sphinx.newPacket(path, new Uint8Array(g.forwardPayloadLength - 1)));
      const { surb, surbKeys } = sphinx.newSURB(path);
      failsWith('wrong-size', () => sphinx.newPacketFromSURB(surb.subarray(1), new Uint8Array(g.forwardPayloadLength)));
      failsWith('wrong-size', () => sphinx.newPacketFromSURB(surb, new Uint8Array(10)));
      failsWith('wrong-size', () => sphinx.decryptSURBPayload(new Uint8Array(10), surbKeys));
      failsWith('invalid-surb-keys', () => sphinx.decryptSURBPayload(new Uint8Array(g.payloadTagLength + g.forwardPayloadLength), surbKeys.subarray(1)));
      failsWith('invalid-surb-keys', () => sphinx.decryptSURBPayload(new Uint8Array(g.payloadTagLength + g.forwardPayloadLength), surbKeys.subarray(0, 64)));
    });
    it('invalid paths', function () {
      failsWith('invalid-path', () => sphinx.newPacket([], random(g.forwardPayloadLength)));
      const six = makePath(makeNodes(6, random), random);
      failsWith('invalid-path', () => sphinx.newPacket(six, random(g.forwardPayloadLength)));
      failsWith('invalid-path', () => sphinx.newPacket([{ ...path[0], id: new Uint8Array(31) }], random(g.forwardPayloadLength)));
      failsWith('invalid-path', () => sphinx.newPacket([{ ...path[0], publicKey: new Uint8Array(32) }], random(g.forwardPayloadLength)));
      failsWith('invalid-path', () => sphinx.newPacket([{ ...path[0], commands: [nextHop(new Uint8Array(32), new Uint8Array(32))] }, path[1]], random(g.forwardPayloadLength)));
      // 4 delays (20 bytes) leave no room for the next-hop command (65) in 82 bytes.
      failsWith('invalid-path', () => sphinx.newPacket([{ ...path[0], commands: [delay(1), delay(2), delay(3), delay(4)] }, path[1]], random(g.forwardPayloadLength)));
    });
  });
});
