import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { toHex } from '../../../protocol/bytes.js';
import { Ed25519KeyError } from '../../../protocol/crypto/ed25519.js';
import { nodeIdOf } from '../../../protocol/pki/node-id.js';

describe('pki: node id', () => {
  it('is SHA-256("chaff-node-id-v1\\0" || identity key)', () => {
    const pub = new Uint8Array(32).fill(7);
    const expected = createHash('sha256').update('chaff-node-id-v1\0').update(pub).digest('hex');
    assert.equal(toHex(nodeIdOf(pub)), expected);
    assert.equal(nodeIdOf(pub).length, 32);
  });
  it('refuses keys of the wrong size', () => {
    assert.throws(() => nodeIdOf(new Uint8Array(31)), Ed25519KeyError);
  });
});
