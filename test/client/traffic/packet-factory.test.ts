import assert from 'node:assert/strict';
import { PacketFactory } from '../../../client/traffic/packet-factory.js';
import { toHex } from '../../../protocol/bytes.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import type { Document, NodeEntry } from '../../../protocol/pki/document.js';
import { Topology } from '../../../protocol/pki/routes.js';
import { decryptSURBPayload, newPacketFromSURB, PRODUCTION_GEOMETRY, PRODUCTION_GEOMETRY_PARAMS, unwrap, type RoutingCommand } from '../../../protocol/sphinx/index.js';
import { decodeClientPayload, isDropRecipient } from '../../../protocol/wire/client-payload.js';
import { seededUniform } from '../../../simulator/random.js';
import { PARAMS } from '../../helpers/pki-fixtures.js';

const keys = new Map<string, X25519PrivateKey>();
const layer = new Map<string, string>();

function entry(name: string, n: number, where: string): NodeEntry {
  const key = X25519PrivateKey.fromBytes(new Uint8Array(32).fill(n));
  const nodeId = new Uint8Array(32).fill(n);
  keys.set(toHex(nodeId), key);
  layer.set(toHex(nodeId), where);
  return { identityKey: new Uint8Array(32).fill(100 + n), nodeId, name, addresses: [], sphinxKeys: { current: key.publicKey, next: key.publicKey } };
}

const gwA = entry('gateway-a', 1, 'gateway');
const gwB = entry('gateway-b', 2, 'gateway');
const doc: Document = {
  version: 1,
  epoch: 7,
  params: { ...PARAMS, geometry: { ...PRODUCTION_GEOMETRY_PARAMS } },
  gateways: [gwA, gwB],
  layers: [
    [entry('m1', 11, 'L1'), entry('m2', 12, 'L1')],
    [entry('m3', 21, 'L2'), entry('m4', 22, 'L2')],
    [entry('m5', 31, 'L3'), entry('m6', 32, 'L3')],
  ],
};
const topology = new Topology(doc);
const ownMailbox = new Uint8Array(32).fill(0xaa);
const bobMailbox = new Uint8Array(32).fill(0xbb);

/** Unwraps `packet` from `first` hop by hop; returns the hops' layers, the final commands and payload, and the delays. */
function route(first: Uint8Array, packet: Uint8Array) {
  let at = first;
  let p: Uint8Array | null = packet;
  const hops: string[] = [];
  const delays: number[] = [];
  for (;;) {
    hops.push(layer.get(toHex(at))!);
    const r = unwrap(PRODUCTION_GEOMETRY, keys.get(toHex(at))!, p!);
    const d = r.commands.find((c) => c.type === 'delay') as Extract<RoutingCommand, { type: 'delay' }> | undefined;
    if (d) delays.push(d.delayMs);
    if (r.kind !== 'forward') return { hops, commands: r.commands, payload: r.payload, delays, last: at };
    at = r.nextHop;
    p = r.packet;
  }
}

/** Builds the ACK from `surb` as the exit gateway does and checks it returns through 3 layers to us, opening with `built`'s keys. */
function assertAckComesBack(surb: Uint8Array, built: { surbId: Uint8Array | null; surbKeys: Uint8Array | null; ackDelayMs: number }): void {
  const ack = newPacketFromSURB(PRODUCTION_GEOMETRY, surb, new Uint8Array(PRODUCTION_GEOMETRY.forwardPayloadLength));
  const back = route(ack.firstHop, ack.packet);
  assert.deepEqual(back.hops, ['L1', 'L2', 'L3', 'gateway']);
  assert.equal(
    back.delays.reduce((a, b) => a + b, 0),
    built.ackDelayMs,
  );
  assert.deepEqual(back.commands, [
    { type: 'recipient', id: ownMailbox },
    { type: 'surb-reply', id: built.surbId },
  ]);
  assert.deepEqual(decryptSURBPayload(PRODUCTION_GEOMETRY, back.payload, built.surbKeys!), new Uint8Array(PRODUCTION_GEOMETRY.forwardPayloadLength));
}

describe('client/traffic/packet-factory', () => {
  const factory = new PacketFactory({ geometry: PRODUCTION_GEOMETRY, uniform: seededUniform(9) });

  it('a real packet crosses own gateway → 3 layers → the recipient gateway, and its SURB-ACK comes back through 3 layers to us', () => {
    const envelope = new Uint8Array(2048).fill(0x5e);
    const built = factory.real(topology, gwA.nodeId, ownMailbox, gwB.nodeId, bobMailbox, envelope);
    assert.equal(built.packet.length, PRODUCTION_GEOMETRY.packetLength);
    const fwd = route(gwA.nodeId, built.packet);
    assert.deepEqual(fwd.hops, ['gateway', 'L1', 'L2', 'L3', 'gateway']);
    assert.equal(
      fwd.delays.reduce((a, b) => a + b, 0),
      built.forwardDelayMs,
    );
    assert.deepEqual(fwd.commands, [{ type: 'recipient', id: bobMailbox }]);
    const { surb, userPayload } = decodeClientPayload(PRODUCTION_GEOMETRY, fwd.payload);
    assert.deepEqual(userPayload, envelope);
    // The recipient's gateway sends the ACK.
    assertAckComesBack(surb!, built);
  });

  it('a loop returns to our own mailbox with a SURB like a real packet', () => {
    const payload = new Uint8Array(2048).fill(7);
    const built = factory.loop(topology, gwA.nodeId, ownMailbox, payload);
    const fwd = route(gwA.nodeId, built.packet);
    assert.deepEqual(fwd.hops, ['gateway', 'L1', 'L2', 'L3', 'gateway']);
    assert.deepEqual(fwd.commands, [{ type: 'recipient', id: ownMailbox }]);
    const decoded = decodeClientPayload(PRODUCTION_GEOMETRY, fwd.payload);
    assert.ok(decoded.surb, 'carries a SURB-ACK');
    assert.deepEqual(decoded.userPayload, payload);
    assert.ok(built.surbId && built.surbKeys);
  });

  it('drop cover crosses every layer to some gateway, addressed to the drop recipient, with no SURB-ACK and no SURB keys', () => {
    const exits = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const built = factory.drop(topology, gwA.nodeId, ownMailbox);
      assert.equal(built.surbId, null);
      assert.equal(built.surbKeys, null);
      const fwd = route(gwA.nodeId, built.packet);
      assert.deepEqual(fwd.hops, ['gateway', 'L1', 'L2', 'L3', 'gateway']);
      assert.equal(fwd.commands.length, 1);
      assert.ok(isDropRecipient((fwd.commands[0] as { id: Uint8Array }).id));
      // Flag clear, random SURB slot: the exit gateway discards it and sends nothing back.
      assert.equal(fwd.payload[0], 0);
      assert.equal(decodeClientPayload(PRODUCTION_GEOMETRY, fwd.payload).surb, null);
      exits.add(toHex(fwd.last));
    }
    assert.equal(exits.size, 2, 'a random gateway each time');
  });

  it('a decoy goes to the drop recipient at a random gateway with a SURB-ACK that comes back through 3 layers to us, like a real packet', () => {
    const exits = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const built = factory.decoy(topology, gwA.nodeId, ownMailbox);
      const fwd = route(gwA.nodeId, built.packet);
      assert.deepEqual(fwd.hops, ['gateway', 'L1', 'L2', 'L3', 'gateway']);
      assert.equal(
        fwd.delays.reduce((a, b) => a + b, 0),
        built.forwardDelayMs,
      );
      assert.equal(fwd.commands.length, 1);
      assert.ok(isDropRecipient((fwd.commands[0] as { id: Uint8Array }).id));
      exits.add(toHex(fwd.last));
      const { surb } = decodeClientPayload(PRODUCTION_GEOMETRY, fwd.payload);
      assert.ok(surb, 'flag set: the exit gateway acknowledges it');
      assertAckComesBack(surb, built);
    }
    assert.equal(exits.size, 2, 'a random gateway each time');
  });

  it('drop cover and decoys without any gateway in the document are a RouteError, not a crash', () => {
    const empty = new Topology({ ...doc, gateways: [] });
    assert.throws(() => factory.drop(empty, gwA.nodeId, ownMailbox), /no gateway/);
    assert.throws(() => factory.decoy(empty, gwA.nodeId, ownMailbox), /no gateway/);
  });

  it('refuses a user payload of the wrong size and a gateway outside the document', () => {
    assert.throws(() => factory.real(topology, gwA.nodeId, ownMailbox, gwB.nodeId, bobMailbox, new Uint8Array(100)), RangeError);
    assert.throws(() => factory.real(topology, gwA.nodeId, ownMailbox, new Uint8Array(32).fill(0x77), bobMailbox, new Uint8Array(2048)), /exit gateway/);
  });
});
