import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { buildDocument, type NodeEntry } from '../../../protocol/pki/document.js';
import { nodeIdOf } from '../../../protocol/pki/node-id.js';
import { RouteError, Topology } from '../../../protocol/pki/routes.js';
import { keyFor, PARAMS, signedFor, signedWithFamily } from '../../helpers/pki-fixtures.js';

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

describe('routes never hold two nodes of one family', function () {
  const idCache = new Map<number, Uint8Array>();
  const idOf = (label: number): Uint8Array => idCache.get(label) ?? idCache.set(label, nodeIdOf(keyFor(label).publicKey)).get(label)!;
  /** With no previous document, mixes are dealt in node-id order to layers 1, 2, 3, 1, …: the layer each label lands in. */
  const layersOf = (labels: number[]): number[][] => {
    const out: number[][] = [[], [], []];
    [...labels].sort((a, b) => Buffer.compare(idOf(a), idOf(b))).forEach((l, rank) => out[rank % 3].push(l));
    return out;
  };
  /**
   * A topology of `mixes` and `gateways`, where every label in one of
   * `families` declares all of that family, or (a family too big for one
   * declaration) its neighbours in the list: the chain joins them all.
   */
  const topologyOf = (mixes: number[], gateways: number[], families: number[][]): Topology => {
    const familyOf = (l: number) => {
      const f = families.find((x) => x.includes(l)) ?? [];
      const i = f.indexOf(l);
      return f.length <= 17 ? f : f.slice(Math.max(0, i - 1), i + 2);
    };
    return new Topology(buildDocument(5, PARAMS, [...mixes.map((l) => signedWithFamily(l, 5, 'mix', familyOf(l))), ...gateways.map((l) => signedWithFamily(l, 5, 'gateway', familyOf(l)))]));
  };
  const holdsTwoOfAFamily = (t: Topology, route: NodeEntry[], ends: 'client' | 'loop'): boolean => {
    // The two ends of a client route are the users' own choice and may be one family; everything else counts.
    const fams = route.map((e) => t.families.familyOf(e.nodeId));
    const inner = ends === 'client' ? fams.slice(1, -1) : fams;
    const ends_ = ends === 'client' ? new Set([fams[0], fams[fams.length - 1]]) : new Set<string>();
    return new Set(inner).size !== inner.length || inner.some((f) => ends_.has(f));
  };

  const MIXES = Array.from({ length: 12 }, (_, i) => i + 1);
  const L = layersOf(MIXES);
  // One operator: a mix in every layer and gateway 50; another: two mixes of layer 1 and one of layer 3.
  const OP_A = [L[0][0], L[1][0], L[2][0], 50];
  const OP_B = [L[0][1], L[0][2], L[2][1]];
  const topo2 = topologyOf(MIXES, [50, 51], [OP_A, OP_B]);

  it('client routes and mix loops over 20,000 draws: never two of one family; every node still used', function () {
    let seed = 7;
    const u = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const used = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const [entry, exit] = [i % 2 ? 50 : 51, i % 3 ? 51 : 50].map(idOf);
      const route = topo2.clientRoute(entry, exit, u);
      assert.ok(!holdsTwoOfAFamily(topo2, route, 'client'), `client route ${i}`);
      route.forEach((e) => used.add(toHex(e.nodeId)));
      const self = idOf(MIXES[i % MIXES.length]);
      const loop = topo2.mixLoopRoute(self, u);
      assert.ok(!holdsTwoOfAFamily(topo2, loop, 'loop'), `mix loop ${i}`);
      loop.forEach((e) => used.add(toHex(e.nodeId)));
    }
    assert.equal(used.size, 14);
  });

  it("from the family's own gateway, none of its mixes; its mix loops never use its gateway", function () {
    for (let i = 0; i < 2000; i++) {
      const route = topo2.clientRoute(idOf(50), idOf(51), uniform);
      assert.ok(!route.slice(1, -1).some((e) => OP_A.some((l) => toHex(idOf(l)) === toHex(e.nodeId))));
      const loop = topo2.mixLoopRoute(idOf(OP_A[0]), uniform);
      assert.ok(!loop.some((e) => toHex(e.nodeId) === toHex(idOf(50))));
    }
  });

  it('keeps the relative odds of the allowed paths (redrawn whole, not patched)', function () {
    // Two mixes per layer; the first mix of layers 1 and 2 are one family: of the 8 paths, 6 are allowed, each 1/6.
    const labels = [1, 2, 3, 4, 5, 6];
    const l = layersOf(labels);
    const t = topologyOf(labels, [50], [[l[0][0], l[1][0]]]);
    const counts = new Map<string, number>();
    const N = 12_000;
    for (let i = 0; i < N; i++) {
      const key = ids(t.clientRoute(idOf(50), idOf(50), uniform).slice(1, 4)).join();
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    assert.equal(counts.size, 6);
    for (const [path, n] of counts) assert.ok(Math.abs(n - N / 6) < N / 6 / 10, `${path}: ${n} of ${N}`);
  });

  it('finds the allowed paths when they are rare, and says why when there are none', function () {
    // One family holds 11 of the 12 mixes of each layer: about 1 draw in 60 is
    // allowed, so about a third of these routes come from the stepwise choice.
    const labels = Array.from({ length: 36 }, (_, i) => 101 + i);
    const l = layersOf(labels);
    const big = [...l[0].slice(1), ...l[1].slice(1), ...l[2].slice(1)];
    const t = topologyOf(labels, [50], [big]);
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const route = t.clientRoute(idOf(50), idOf(50), uniform);
      assert.ok(!holdsTwoOfAFamily(t, route, 'client'), `route ${i}`);
      seen.add(toHex(route[1].nodeId));
    }
    assert.equal(seen.size, 12, 'every mix of layer 1 is used');

    // The family of the entry gateway holds every mix of layer 2.
    const blocked = topologyOf(MIXES, [50, 51], [[...L[1], 50]]);
    assert.throws(
      () => blocked.clientRoute(idOf(50), idOf(51), uniform),
      (err: Error) => err instanceof RouteError && /every mix in layer 2 belongs to the family of an end of the path/.test(err.message),
    );
    assert.throws(() => blocked.clientRoute(idOf(51), idOf(50), uniform), RouteError);
    assert.doesNotThrow(() => blocked.clientRoute(idOf(51), idOf(51), uniform));
    // Layers 1 and 2 each hold one mix, of one family: no allowed path whatever the ends.
    const [a, b, c] = layersOf([1, 2, 3]).map((x) => x[0]);
    const tight = topologyOf([1, 2, 3], [51], [[a, b]]);
    assert.throws(
      () => tight.clientRoute(idOf(51), idOf(51), uniform),
      (err: Error) => err instanceof RouteError && /too few nodes outside each other's families/.test(err.message),
    );
    assert.throws(() => tight.mixLoopRoute(idOf(c), uniform), RouteError);
  });

  it('without families: one uniform draw per mix, the route of independent draws per layer', function () {
    let calls = 0;
    const draws: number[] = [];
    const counting = () => {
      calls++;
      const x = uniform();
      draws.push(x);
      return x;
    };
    for (let i = 0; i < 100; i++) {
      draws.length = 0;
      const route = topo.clientRoute(doc.gateways[0].nodeId, doc.gateways[1].nodeId, counting);
      assert.deepEqual(
        ids(route.slice(1, 4)),
        doc.layers.map((layer, j) => toHex(layer[Math.floor(draws[j] * layer.length)].nodeId)),
      );
    }
    assert.equal(calls, 300);
  });
});
