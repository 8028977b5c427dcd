import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { buildDocument } from '../../../protocol/pki/document.js';
import { RouteError, Topology } from '../../../protocol/pki/routes.js';
import { PARAMS, signedFor } from '../../helpers/pki-fixtures.js';

const doc = buildDocument(5, PARAMS, [1, 2, 3, 4, 5, 6].map((n) => signedFor(n, 5)).concat([50, 51].map((n) => signedFor(n, 5, 'gateway'))));
const topo = new Topology(doc);
let s = 1;
const uniform = () => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
const ids = (route: { nodeId: Uint8Array }[]) => route.map((e) => toHex(e.nodeId));

describe('routes through the stratified topology', function () {
  it('a client route: entry gateway, one mix per layer in order, exit gateway', function () {
    const [g1, g2] = doc.gateways;
    for (let i = 0; i < 50; i++) {
      const route = topo.clientRoute(g1.nodeId, g2.nodeId, uniform);
      assert.equal(route.length, 5);
      assert.equal(toHex(route[0].nodeId), toHex(g1.nodeId));
      assert.equal(toHex(route[4].nodeId), toHex(g2.nodeId));
      route.slice(1, 4).forEach((m, layer) => assert.equal(topo.layerOf(m.nodeId), layer));
    }
  });

  it('every mix of a layer gets picked', function () {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) for (const id of ids(topo.clientRoute(doc.gateways[0].nodeId, doc.gateways[1].nodeId, uniform).slice(1, 4))) seen.add(id);
    assert.equal(seen.size, 6);
  });

  it('a mix loop crosses the later layers, a gateway, the earlier layers, and ends at the mix', function () {
    for (const [layer, mixes] of doc.layers.entries()) {
      const self = mixes[0];
      const route = topo.mixLoopRoute(self.nodeId, uniform);
      assert.equal(route.length, doc.layers.length + 1);
      assert.equal(toHex(route[route.length - 1].nodeId), toHex(self.nodeId));
      const kinds = route.map((e) => topo.layerOf(e.nodeId));
      const expected = [...Array.from({ length: doc.layers.length - layer - 1 }, (_, i) => layer + 1 + i), 'gateway', ...Array.from({ length: layer }, (_, i) => i), layer];
      assert.deepEqual(kinds, expected);
    }
  });

  it('refuses routes for nodes that are not in the document or in the wrong role', function () {
    const mix = doc.layers[0][0];
    assert.throws(() => topo.clientRoute(mix.nodeId, doc.gateways[0].nodeId, uniform), RouteError);
    assert.throws(() => topo.mixLoopRoute(doc.gateways[0].nodeId, uniform), RouteError);
    assert.throws(() => topo.mixLoopRoute(new Uint8Array(32), uniform), RouteError);
    assert.equal(topo.node(new Uint8Array(32)), undefined);
  });
});
