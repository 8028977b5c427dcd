import assert from 'node:assert/strict';
import { geometryFromUserForwardPayloadLength, PRODUCTION_GEOMETRY, SphinxError } from '../../../protocol/sphinx/index.js';

describe('Sphinx geometry', function () {
  it('matches Katzenpost for X25519, 5 hops, 103-byte payload, without SURB (the vectors geometry)', function () {
    const g = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 5, userForwardPayloadLength: 103, withSURB: false });
    assert.deepEqual(
      { ...g },
      {
        nikeName: 'X25519',
        nrHops: 5,
        packetLength: 611,
        headerLength: 476,
        routingInfoLength: 410,
        perHopRoutingInfoLength: 82,
        surbLength: 572,
        sphinxPlaintextHeaderLength: 2,
        payloadTagLength: 32,
        forwardPayloadLength: 103,
        userForwardPayloadLength: 103,
        nextNodeHopLength: 65,
        sprpKeyMaterialLength: 64,
        groupElementLength: 32,
      },
    );
  });

  it('adds the plaintext header and one SURB to the forward payload with SURB', function () {
    const g = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 5, userForwardPayloadLength: 103, withSURB: true });
    assert.equal(g.forwardPayloadLength, 103 + 2 + 572);
    assert.equal(g.packetLength, 476 + 32 + 677);
  });

  it('scales the header with the number of hops', function () {
    const g = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 1, userForwardPayloadLength: 10, withSURB: false });
    assert.equal(g.routingInfoLength, 82);
    assert.equal(g.headerLength, 2 + 32 + 82 + 32);
    assert.equal(g.surbLength, g.headerLength + 32 + 64);
  });

  it('production geometry: 5 hops, 2048-byte user payload with room for a SURB-ACK, 3130-byte packets', function () {
    assert.equal(PRODUCTION_GEOMETRY.nrHops, 5);
    assert.equal(PRODUCTION_GEOMETRY.userForwardPayloadLength, 2048);
    assert.equal(PRODUCTION_GEOMETRY.forwardPayloadLength, 2048 + 2 + 572);
    assert.equal(PRODUCTION_GEOMETRY.packetLength, 3130);
  });

  it('rejects bad parameters naming the field', function () {
    const bad: Array<[unknown, RegExp]> = [
      [{ nike: 'CTIDH', nrHops: 5, userForwardPayloadLength: 103, withSURB: false }, /nike/],
      [{ nike: 'X25519', nrHops: 0, userForwardPayloadLength: 103, withSURB: false }, /nrHops/],
      [{ nike: 'X25519', nrHops: 2.5, userForwardPayloadLength: 103, withSURB: false }, /nrHops/],
      [{ nike: 'X25519', nrHops: 5, userForwardPayloadLength: -1, withSURB: false }, /userForwardPayloadLength/],
      [{ nike: 'X25519', nrHops: 5, userForwardPayloadLength: 103, withSURB: 'yes' }, /withSURB/],
      [null, /object/],
    ];
    for (const [params, field] of bad) {
      assert.throws(
        () => geometryFromUserForwardPayloadLength(params as never),
        (err: unknown) => err instanceof SphinxError && err.code === 'invalid-geometry' && field.test(err.message),
      );
    }
  });
});
