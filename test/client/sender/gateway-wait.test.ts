import assert from 'node:assert/strict';
import { GatewayWait } from '../../../client/sender/gateway-wait.js';
import { toHex } from '../../../protocol/bytes.js';

const gw = (n: number) => new Uint8Array(32).fill(n);

describe('client/sender/gateway-wait', () => {
  it('holds fragments per missing gateway and releases them, oldest first, when their gateway is back', () => {
    const wait = new GatewayWait<string>();
    wait.park('a', gw(1), 'sealed a');
    wait.park('b', gw(2), 'sealed b');
    wait.park('c', gw(1), 'sealed c');
    assert.equal(wait.size, 3);
    assert.ok(wait.has('b'));
    assert.deepEqual([...wait.byGateway()], [[toHex(gw(1)), 2], [toHex(gw(2)), 1]]);
    const present = new Set([toHex(gw(1))]);
    assert.deepEqual(
      wait.release((g) => present.has(g), () => true),
      ['sealed a', 'sealed c'],
      'the envelopes sealed for them, in order',
    );
    assert.equal(wait.size, 1);
    assert.deepEqual(
      wait.release((g) => present.has(g), () => true),
      [],
      'gateway 2 is still missing',
    );
    present.add(toHex(gw(2)));
    assert.deepEqual(
      wait.release((g) => present.has(g), () => true),
      ['sealed b'],
    );
    assert.equal(wait.size, 0);
  });

  it('drops fragments the sender no longer holds, and a key parked twice waits once', () => {
    const wait = new GatewayWait<string>();
    wait.park('a', gw(1), 'sealed a');
    wait.park('a', gw(1), 'sealed a');
    wait.park('gone', gw(1), 'sealed gone');
    assert.equal(wait.size, 2);
    assert.deepEqual(
      wait.release(() => false, (k) => k !== 'gone'),
      [],
    );
    assert.equal(wait.size, 1);
    assert.equal(wait.prune((k) => k !== 'a'), 0);
  });
});
