// Property tests: whatever bytes reach a node, unwrap either succeeds or
// throws a SphinxError with a reason; a packet changed anywhere is rejected
// along its path; a changed payload is caught at the final hop.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PRODUCTION_GEOMETRY, Sphinx, SphinxError, type SphinxErrorCode } from '../../../protocol/sphinx/index.js';
import { deterministicRandom } from '../../helpers/drbg.js';
import { forwardedPacket, makeNodes, makePath, nextPacket } from '../../helpers/sphinx-fixtures.js';

const random = deterministicRandom('fuzz');
const sphinx = new Sphinx(PRODUCTION_GEOMETRY);
const g = sphinx.geometry;
const nodes = makeNodes(5, random);
const path = makePath(nodes, random);
const payload = random(g.forwardPayloadLength);

// The packet as each hop receives it.
const hopPackets: Uint8Array[] = [sphinx.newPacket(path, payload)];
for (let i = 0; i < nodes.length - 1; i++) hopPackets.push(forwardedPacket(sphinx.unwrap(nodes[i].key, hopPackets[i])));

/** Unwraps from hop `from` to the end; returns the code of the first rejection, or null if delivered. */
function rejection(packet: Uint8Array, from: number): { code: SphinxErrorCode; hop: number } | null {
  let current: Uint8Array | null = packet;
  for (let i = from; current; i++) {
    try {
      current = nextPacket(sphinx.unwrap(nodes[i].key, current));
    } catch (err) {
      if (!(err instanceof SphinxError)) throw new Error(`non-Sphinx exception escaped unwrap: ${String(err)}`);
      return { code: err.code, hop: i };
    }
  }
  return null;
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[bit >>> 3] ^= 1 << (bit & 7);
  return out;
}

describe('Sphinx property tests', function () {
  this.timeout(60_000);

  it('random bytes of packet length are rejected with a typed error', function () {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: g.packetLength, maxLength: g.packetLength }), (bytes) => {
        const r = rejection(bytes, 0);
        assert.ok(r, 'random bytes must not unwrap');
        assert.equal(r.hop, 0);
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes with a valid version prefix are rejected (MAC or low-order point)', function () {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: g.packetLength, maxLength: g.packetLength }), (bytes) => {
        bytes[0] = 0;
        bytes[1] = 0;
        const r = rejection(bytes, 0);
        assert.ok(r && (r.code === 'mac-mismatch' || r.code === 'low-order-point'), JSON.stringify(r));
      }),
      { numRuns: 200 },
    );
  });

  it('inputs of any other length are rejected as wrong-size', function () {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2 * g.packetLength }).filter((b) => b.length !== g.packetLength),
        (bytes) => {
          assert.deepEqual(rejection(bytes, 0), { code: 'wrong-size', hop: 0 });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a single flipped bit anywhere, at any hop, is rejected', function () {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: nodes.length - 1 }), fc.integer({ min: 0, max: g.packetLength * 8 - 1 }), (hop, bit) => {
        const r = rejection(flipBit(hopPackets[hop], bit), hop);
        assert.ok(r, `bit ${bit} at hop ${hop} went through`);
        if (bit < g.headerLength * 8) {
          assert.equal(r.hop, hop, 'a header change is caught by the hop that receives it');
          assert.ok(['bad-version', 'mac-mismatch', 'low-order-point'].includes(r.code), r.code);
        } else {
          assert.deepEqual(r, { code: 'payload-tag', hop: nodes.length - 1 }, 'a payload change is caught at the final hop');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a flipped bit in a SURB reply is rejected on the way or by the SURB keys', function () {
    const surbId = random(16);
    const replyPath = makePath(nodes, random, surbId);
    const { surb, surbKeys } = sphinx.newSURB(replyPath);
    const { packet } = sphinx.newPacketFromSURB(surb, random(g.forwardPayloadLength));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: g.packetLength * 8 - 1 }), (bit) => {
        let current: Uint8Array | null = flipBit(packet, bit);
        let last: Uint8Array | null = null;
        for (let i = 0; current; i++) {
          try {
            const r = sphinx.unwrap(nodes[i].key, current);
            current = nextPacket(r);
            last = r.kind === 'forward' ? null : r.payload;
          } catch (err) {
            assert.ok(err instanceof SphinxError);
            return;
          }
        }
        assert.throws(
          () => sphinx.decryptSURBPayload(last!, surbKeys),
          (err: unknown) => err instanceof SphinxError && err.code === 'payload-tag',
        );
      }),
      { numRuns: 100 },
    );
  });

  it('the unmodified packet still goes through (the properties above can fail)', function () {
    assert.equal(rejection(hopPackets[0], 0), null);
  });
});
