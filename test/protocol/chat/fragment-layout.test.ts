import assert from 'node:assert/strict';
import { fragmentCountFor, fragmentPosition } from '../../../protocol/chat/fragment-layout.js';

describe('chat: fragment layout', function () {
  it('accepts exactly the (length, count, index, chunk length) a sender with some stride produces', function () {
    // Every layout a sender with stride c makes, for small lengths and strides…
    const produced = new Map<string, number>();
    for (let length = 0; length <= 40; length++) {
      for (let stride = 1; stride <= 41; stride++) {
        const count = fragmentCountFor(length, stride);
        for (let index = 0; index < count; index++) {
          const chunk = Math.min(length, (index + 1) * stride) - index * stride;
          const key = `${length}/${count}/${index}/${chunk}`;
          const earlier = produced.get(key);
          // A stride ≥ length only matters through count = 1; otherwise one stride per layout.
          if (count > 1) assert.ok(earlier === undefined || earlier === stride, key);
          produced.set(key, count === 1 ? length : stride);
        }
      }
    }
    // …and nothing else is accepted.
    let accepted = 0;
    for (let length = 0; length <= 40; length++) {
      for (let count = 1; count <= 42; count++) {
        for (let index = 0; index < count; index++) {
          for (let chunk = 0; chunk <= 42; chunk++) {
            const position = fragmentPosition(length, count, index, chunk);
            const stride = produced.get(`${length}/${count}/${index}/${chunk}`);
            assert.equal(position?.stride, stride, `${length}/${count}/${index}/${chunk}`);
            if (position) {
              accepted++;
              assert.equal(position.offset, index * position.stride);
            }
          }
        }
      }
    }
    assert.equal(accepted, produced.size);
  });

  it('counts the fewest fragments', function () {
    assert.equal(fragmentCountFor(0, 10), 1);
    assert.equal(fragmentCountFor(1, 10), 1);
    assert.equal(fragmentCountFor(10, 10), 1);
    assert.equal(fragmentCountFor(11, 10), 2);
    assert.equal(fragmentCountFor(1 << 20, 1753), 599);
  });
});
