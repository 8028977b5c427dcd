// Attack: one operator runs a mix in every layer and a gateway (seized, or
// turned, all at once), so a path that crosses only that operator's nodes is
// seen end to end. The operator declares its nodes as one family; a client
// must never put two of them on one path. And the counter-attack: a
// malicious mix declares the honest mixes of the other layers as "its
// family", one-sidedly, to steer every path through it away from them and
// onto the attacker's other mixes.
//
// Real components: descriptors signed by each node's identity key, the
// document built by buildDocument, signed by two of three authority keys and
// accepted by verifyDocument, and the Topology every client and mix routes
// with (clientRoute, mixLoopRoute).

import assert from 'node:assert/strict';
import { toHex } from '../../protocol/bytes.js';
import { buildDocument, encodeDocument, type NodeEntry } from '../../protocol/pki/document.js';
import { nodeIdOf } from '../../protocol/pki/node-id.js';
import { Topology } from '../../protocol/pki/routes.js';
import { signDocument, verifyDocument } from '../../protocol/pki/signatures.js';
import { keyFor, PARAMS, signedWithFamily } from '../helpers/pki-fixtures.js';
import { seededUniform } from '../helpers/seeded-uniform.js';

const EPOCH = 7;
const AUTHORITIES = [201, 202, 203].map(keyFor);
const DRAWS = 20_000;

const identity = (label: number): Uint8Array => keyFor(label).publicKey;
const hex = (e: { nodeId: Uint8Array }): string => toHex(e.nodeId);

// Mixes 1..12: with no previous document, buildDocument deals mixes in node
// id order to layers 1, 2, 3, 1, 2, 3, …, so each layer gets four. Per layer:
// the operator's mix, the attacker's mix, two independent honest mixes.
const MIXES = Array.from({ length: 12 }, (_, i) => i + 1);
const layerOfLabel = new Map([...MIXES].sort((a, b) => Buffer.compare(nodeIdOf(identity(a)), nodeIdOf(identity(b)))).map((label, rank) => [label, rank % 3]));
const inLayer = (layer: number): number[] => MIXES.filter((l) => layerOfLabel.get(l) === layer);
const OPERATOR_GATEWAY = 50;
const OTHER_GATEWAY = 51;
const OPERATOR = [OPERATOR_GATEWAY, ...[0, 1, 2].map((l) => inLayer(l)[0])];
const ATTACKER = [0, 1, 2].map((l) => inLayer(l)[1]);
const HONEST = [0, 1, 2].flatMap((l) => inLayer(l).slice(2));

describe("one operator's nodes on one path, and a one-sided family claim to steer paths", function () {
  let topology: Topology;
  const operatorIds = new Set(OPERATOR.map((l) => toHex(nodeIdOf(identity(l)))));
  const attackerIds = ATTACKER.map((l) => toHex(nodeIdOf(identity(l))));
  const operatorCount = (route: NodeEntry[]): number => route.filter((e) => operatorIds.has(hex(e))).length;

  before(function () {
    const descriptors = [
      // The operator pastes one list of its four nodes into each node's config.
      ...OPERATOR.map((l) => signedWithFamily(l, EPOCH, l === OPERATOR_GATEWAY ? 'gateway' : 'mix', OPERATOR)),
      signedWithFamily(OTHER_GATEWAY, EPOCH, 'gateway', []),
      ...HONEST.map((l) => signedWithFamily(l, EPOCH, 'mix', [])),
      // The attacker's layer-1 mix claims every honest mix (and the operator's) of layers 2 and 3.
      signedWithFamily(
        ATTACKER[0],
        EPOCH,
        'mix',
        [...HONEST, ...OPERATOR].filter((l) => (layerOfLabel.get(l) ?? -1) > 0),
      ),
      ...ATTACKER.slice(1).map((l) => signedWithFamily(l, EPOCH, 'mix', [])),
    ];
    const bytes = encodeDocument(buildDocument(EPOCH, PARAMS, descriptors));
    const document = verifyDocument(
      { document: bytes, signatures: AUTHORITIES.slice(0, 2).map((a) => signDocument(bytes, a)) },
      AUTHORITIES.map((a) => a.publicKey),
    );
    document.layers.forEach((layer, i) =>
      assert.deepEqual(
        layer.map(hex).sort(),
        inLayer(i)
          .map((l) => toHex(nodeIdOf(identity(l))))
          .sort(),
        `layer ${i + 1} as planned`,
      ),
    );
    topology = new Topology(document);
  });

  it("a client at the operator's gateway never crosses the operator's mixes", function () {
    const uniform = seededUniform(1);
    const [entry, exit] = [OPERATOR_GATEWAY, OTHER_GATEWAY].map((l) => nodeIdOf(identity(l)));
    const seen = new Set<string>();
    for (let i = 0; i < DRAWS; i++) {
      const route = topology.clientRoute(entry, exit, uniform);
      assert.equal(operatorCount(route), 1, `route ${i} holds ${operatorCount(route)} of the operator's nodes`);
      for (const e of route.slice(1, -1)) seen.add(hex(e));
    }
    assert.equal(seen.size, 9, 'every mix outside the family is used');
  });

  it("other clients' routes and every mix loop hold at most one of the operator's nodes, and still use them", function () {
    const uniform = seededUniform(2);
    const other = nodeIdOf(identity(OTHER_GATEWAY));
    let withOperator = 0;
    for (let i = 0; i < DRAWS; i++) {
      const route = topology.clientRoute(other, other, uniform);
      assert.ok(operatorCount(route) <= 1, `route ${i} holds ${operatorCount(route)} of the operator's nodes`);
      if (operatorCount(route) === 1) withOperator++;
    }
    // Of the 64 mix triples (1/64 each), 27 hold none of the operator's mixes, 27 one, 10 two or three (not allowed): half of the allowed ones hold one.
    assert.ok(withOperator > DRAWS * 0.4, `the operator's mixes are still used (${withOperator} of ${DRAWS})`);
    for (const label of MIXES) {
      const self = nodeIdOf(identity(label));
      for (let i = 0; i < DRAWS / 10; i++) {
        const loop = topology.mixLoopRoute(self, uniform);
        if (OPERATOR.includes(label)) assert.equal(operatorCount(loop), 1, `a loop of the operator's mix ${label} holds ${operatorCount(loop)} of its nodes`);
        else assert.ok(operatorCount(loop) <= 1);
      }
    }
  });

  it("a one-sided claim steers nothing: behind the attacker's layer-1 mix, layer 2 is drawn as without the claim", function () {
    const uniform = seededUniform(3);
    const other = nodeIdOf(identity(OTHER_GATEWAY));
    let behindAttacker = 0;
    let attackerNext = 0;
    for (let i = 0; i < DRAWS * 2; i++) {
      const route = topology.clientRoute(other, other, uniform);
      if (hex(route[1]) !== attackerIds[0]) continue;
      behindAttacker++;
      if (hex(route[2]) === attackerIds[1]) attackerNext++;
    }
    // Allowed paths behind the attacker's mix: 4 × 4 − 1 (the operator's
    // layer-2 and layer-3 mixes together); 4 of them continue at the
    // attacker's layer-2 mix. Honouring the claim would make that 1 in 2.
    const share = attackerNext / behindAttacker;
    assert.ok(behindAttacker > DRAWS / 4, `the attacker's mix is drawn (${behindAttacker})`);
    assert.ok(Math.abs(share - 4 / 15) < 0.03, `share of paths continuing at the attacker's layer-2 mix: ${share.toFixed(3)}, expected ${(4 / 15).toFixed(3)}`);
    assert.equal(topology.families.related(nodeIdOf(identity(ATTACKER[0])), nodeIdOf(identity(HONEST[0]))), false);
  });
});
