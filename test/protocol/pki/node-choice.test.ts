import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { signDescriptor } from '../../../protocol/pki/descriptor.js';
import { buildDocument } from '../../../protocol/pki/document.js';
import { chooseNode, NodeChoiceError } from '../../../protocol/pki/node-choice.js';
import { nodeIdOf } from '../../../protocol/pki/node-id.js';
import { descriptorFor, keyFor, PARAMS, signedFor } from '../../helpers/pki-fixtures.js';

const EPOCH = 4;
const named = (label: number, role: 'mix' | 'gateway', name: string) => signDescriptor({ ...descriptorFor(label, EPOCH, role), name }, keyFor(label));
const idHex = (label: number) => toHex(nodeIdOf(keyFor(label).publicKey));

function refusal(fn: () => unknown): NodeChoiceError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof NodeChoiceError, String(err));
    return err;
  }
  assert.fail('no error');
}

describe('pki: choosing a node by name or id', () => {
  const doc = buildDocument(EPOCH, PARAMS, [
    named(50, 'gateway', 'berlin'),
    named(51, 'gateway', 'paris'),
    named(52, 'gateway', 'paris'),
    named(1, 'mix', 'oslo'),
    named(53, 'gateway', 'oslo'),
    named(54, 'gateway', idHex(50)),
    signedFor(2, EPOCH),
  ]);
  const gw = doc.gateways;

  it('a name carried by one node of the document chooses it', () => {
    assert.equal(toHex(chooseNode(doc, gw, 'berlin', 'gateway').nodeId), idHex(50));
  });

  it('a name two nodes carry chooses neither, and the error lists both ids and identity keys', () => {
    const err = refusal(() => chooseNode(doc, gw, 'paris', 'gateway'));
    assert.equal(err.code, 'ambiguous');
    assert.deepEqual(err.candidates.map((e) => toHex(e.nodeId)).sort(), [idHex(51), idHex(52)].sort());
    for (const l of [51, 52]) {
      assert.ok(err.message.includes(idHex(l)));
      assert.ok(err.message.includes(toHex(keyFor(l).publicKey)));
    }
    // A mix of the same name makes a gateway's name ambiguous too.
    assert.equal(refusal(() => chooseNode(doc, gw, 'oslo', 'gateway')).code, 'ambiguous');
  });

  it('an id chooses by node id or identity key, either case; a node named like an id never captures it', () => {
    assert.equal(toHex(chooseNode(doc, gw, idHex(51), 'gateway').nodeId), idHex(51));
    assert.equal(toHex(chooseNode(doc, gw, idHex(52).toUpperCase(), 'gateway').nodeId), idHex(52));
    assert.equal(toHex(chooseNode(doc, gw, toHex(keyFor(51).publicKey), 'gateway').nodeId), idHex(51));
    // Gateway 54 is named after gateway 50's node id.
    assert.equal(toHex(chooseNode(doc, gw, idHex(50), 'gateway').nodeId), idHex(50));
  });

  it('an unknown name or id, or a node of another role, is not found, and the error lists the gateways', () => {
    for (const wanted of ['madrid', idHex(99), idHex(2)]) {
      const err = refusal(() => chooseNode(doc, gw, wanted, 'gateway'));
      assert.equal(err.code, 'not-found', wanted);
      assert.ok(err.message.includes(idHex(50)));
    }
    assert.equal(refusal(() => chooseNode(doc, gw, 'node-2', 'gateway')).code, 'not-found');
  });
});

describe('pki: choosing a node, in a large document', () => {
  it('a "not found" error lists 16 of the nodes and counts the rest', () => {
    const doc = buildDocument(
      EPOCH,
      PARAMS,
      Array.from({ length: 20 }, (_, i) => signedFor(60 + i, EPOCH, 'gateway')),
    );
    const err = refusal(() => chooseNode(doc, doc.gateways, 'madrid', 'gateway'));
    assert.equal(err.code, 'not-found');
    assert.equal((err.message.match(/node id/g) ?? []).length, 16);
    assert.match(err.message, /; and 4 more$/);
  });
});
