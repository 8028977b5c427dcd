import assert from 'node:assert/strict';
import { GatewayWait } from '../../../client/sender/gateway-wait.js';
import { toHex } from '../../../protocol/bytes.js';

const gw = (n: number) => new Uint8Array(32).fill(n);

describe('client/sender/gateway-wait', () => {
  it('holds fragments per missing gateway and releases them, oldest first, when their gateway is back', () => {
    const wait = new GatewayWait();
    wait.park('a', gw(1));
    wait.park('b', gw(2));
    wait.park('c', gw(1));
    assert.equal(wait.size, 3);
    assert.ok(wait.has('b'));
    assert.deepEqual([...wait.byGateway()], [[toHex(gw(1)), 2], [toHex(gw(2)), 1]]);
    const present = new Set([toHex(gw(1))]);
    assert.deepEqual(
      wait.release((g) => present.has(g), () => true),
      ['a', 'c'],
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
      ['b'],
    );
    assert.equal(wait.size, 0);
  });

  it('drops fragments the sender no longer holds, and a key parked twice waits once', () => {
    const wait = new GatewayWait();
    wait.park('a', gw(1));
    wait.park('a', gw(1));
    wait.park('gone', gw(1));
    assert.equal(wait.size, 2);
    assert.deepEqual(
      wait.release(() => false, (k) => k !== 'gone'),
      [],
    );
    assert.equal(wait.size, 1);
    wait.remove('a');
    assert.equal(wait.size, 0);
  });
});
