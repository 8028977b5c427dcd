import assert from 'node:assert/strict';
import { buildDocument, type Document, type NodeEntry } from '../../../protocol/pki/document.js';
import { Families } from '../../../protocol/pki/families.js';
import { nodeIdOf } from '../../../protocol/pki/node-id.js';
import { keyFor, PARAMS, signedFor, signedWithFamily } from '../../helpers/pki-fixtures.js';

const EPOCH = 3;
const id = (label: number) => nodeIdOf(keyFor(label).publicKey);
const nodesOf = (doc: Document): NodeEntry[] => [...doc.gateways, ...doc.layers.flat()];

/** The document of mixes 1..9 and gateway 50, each declaring the family `declared[label]` (none when absent). */
function familiesOf(declared: Record<number, number[]>): Families {
  const labels = [1, 2, 3, 4, 5, 6, 7, 8, 9, 50];
  const doc = buildDocument(
    EPOCH,
    PARAMS,
    labels.map((l) => (declared[l] ? signedWithFamily(l, EPOCH, l === 50 ? 'gateway' : 'mix', declared[l]) : signedFor(l, EPOCH, l === 50 ? 'gateway' : 'mix'))),
  );
  return new Families(nodesOf(doc));
}

describe('pki: node families (mutual declarations)', () => {
  it('two nodes that declare each other are one family; a node alone is its own', () => {
    const f = familiesOf({ 1: [2], 2: [1] });
    assert.ok(f.related(id(1), id(2)));
    assert.ok(!f.related(id(1), id(3)));
    assert.ok(f.related(id(3), id(3)));
    assert.equal(f.declared.length, 1);
  });

  it('a one-sided declaration counts for nothing, whoever makes it', () => {
    // 9 claims 1, 2, 3 and the gateway; none of them claims 9 back.
    const f = familiesOf({ 9: [1, 2, 3, 50], 1: [2], 2: [1] });
    for (const other of [1, 2, 3, 50]) assert.ok(!f.related(id(9), id(other)), `9 is not of ${other}'s family`);
    assert.ok(f.related(id(1), id(2)), 'the honest pair stays a family');
    assert.ok(!f.related(id(1), id(3)));
  });

  it('a family is what the mutual declarations connect: a forgotten pair is covered through the others', () => {
    // 4–5 and 5–6 are mutual; 4 and 6 do not list each other.
    const f = familiesOf({ 4: [5], 5: [4, 6], 6: [5], 7: [8, 9], 8: [7] });
    assert.ok(f.related(id(4), id(6)));
    assert.ok(f.related(id(7), id(8)));
    assert.ok(!f.related(id(7), id(9)), '9 never declared 7');
    assert.ok(!f.related(id(4), id(7)));
    assert.deepEqual(f.declared.map((m) => m.length).sort(), [2, 3]);
  });

  it('gateways and mixes share families; the result does not depend on the order of the nodes', () => {
    const labels = [1, 2, 3, 50];
    const doc = buildDocument(
      EPOCH,
      PARAMS,
      labels.map((l) => signedWithFamily(l, EPOCH, l === 50 ? 'gateway' : 'mix', labels)),
    );
    const nodes = nodesOf(doc);
    const a = new Families(nodes);
    const b = new Families([...nodes].reverse());
    for (const l of labels) {
      assert.ok(a.related(id(l), id(50)));
      assert.equal(a.familyOf(id(l)), b.familyOf(id(l)));
    }
    assert.ok(!a.related(id(1), nodeIdOf(keyFor(99).publicKey)), 'a node outside the document is in no family');
  });
});

describe('pki: node families, for the operator', () => {
  it('names the nodes a node declares that do not declare it back', () => {
    const doc = buildDocument(EPOCH, PARAMS, [signedWithFamily(1, EPOCH, 'mix', [2, 3, 99]), signedWithFamily(2, EPOCH, 'mix', [1]), signedFor(3, EPOCH), signedFor(4, EPOCH)]);
    const f = new Families(nodesOf(doc));
    const one = nodesOf(doc).find((e) => e.name === 'node-1')!;
    // 2 declares 1 back; 3 does not; 99 is not in the document.
    assert.deepEqual(
      f.unreturned(one).map((e) => e.name),
      ['node-3'],
    );
    assert.deepEqual(f.unreturned(nodesOf(doc).find((e) => e.name === 'node-2')!), []);
  });
});
