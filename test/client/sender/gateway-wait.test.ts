import assert from 'node:assert/strict';
import { GatewayWait } from '../../../client/sender/gateway-wait.js';
import { toHex } from '../../../protocol/bytes.js';

const gw = (n: number) => new Uint8Array(32).fill(n);

describe('client/sender/gateway-wait', () => {
  it('holds fragments per missing gateway and releases them, oldest first, when their gateway is back', () => {
    const wait = new GatewayWait<string | null>();
    wait.park('a', gw(1), 'sealed a');
    wait.park('b', gw(2), null);
    wait.park('c', gw(1), 'sealed c');
    const released = (isRoutable: (g: string) => boolean, isPending: (k: string) => boolean = () => true) => {
      const out: Array<[string, string | null]> = [];
      const n = wait.release(isRoutable, isPending, (k, item) => out.push([k, item]));
      assert.equal(n, out.length);
      return out;
    };
    assert.equal(wait.size, 3);
    assert.ok(wait.has('b'));
    assert.deepEqual(
      [...wait.byGateway()],
      [
        [toHex(gw(1)), 2],
        [toHex(gw(2)), 1],
      ],
    );
    const present = new Set([toHex(gw(1))]);
    assert.deepEqual(
      released((g) => present.has(g)),
      [
        ['a', 'sealed a'],
        ['c', 'sealed c'],
      ],
      'in order, with the envelopes sealed for them',
    );
    assert.equal(wait.size, 1);
    assert.deepEqual(
      released((g) => present.has(g)),
      [],
      'gateway 2 is still missing',
    );
    present.add(toHex(gw(2)));
    assert.deepEqual(
      released((g) => present.has(g)),
      [['b', null]],
      'unsealed',
    );
    assert.equal(wait.size, 0);
  });

  it('drops fragments the sender no longer holds, and a key parked twice waits once', () => {
    const wait = new GatewayWait<string>();
    wait.park('a', gw(1), 'sealed a');
    wait.park('a', gw(1), 'sealed a');
    wait.park('gone', gw(1), 'sealed gone');
    assert.equal(wait.size, 2);
    assert.equal(
      wait.release(
        () => false,
        (k) => k !== 'gone',
        () => assert.fail('nothing is routable'),
      ),
      0,
    );
    assert.equal(wait.size, 1);
    assert.equal(
      wait.prune((k) => k !== 'a'),
      0,
    );
  });
});
