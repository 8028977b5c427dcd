import assert from 'node:assert/strict';
import { ConfigError, configFromObject } from '../../node/config.js';
import { MAX_FAMILY } from '../../protocol/pki/descriptor.js';

const AUTH = 'a'.repeat(64);
const withFamily = (family: unknown) => ({
  node: { name: 'mix-1', role: 'mix', data_dir: 'data/mix-1', listen: ['/ip4/127.0.0.1/tcp/0'], family },
  authorities: [{ name: 'auth-1', identity: AUTH, addresses: ['/ip4/127.0.0.1/tcp/30000'] }],
});

describe('node config: [node] family', function () {
  it('defaults to none; reads identity keys in either case, each once', function () {
    const none = withFamily(undefined);
    delete (none.node as { family?: unknown }).family;
    assert.deepEqual(configFromObject(none, '/srv').node.family, []);
    const k = 'B'.repeat(64);
    assert.deepEqual(configFromObject(withFamily([k, k.toLowerCase(), 'c'.repeat(64)]), '/srv').node.family, ['b'.repeat(64), 'c'.repeat(64)]);
  });

  it('refuses what is not an identity key, and too long a list, naming node.family', function () {
    for (const bad of [['abc'], ['g'.repeat(64)], 'b'.repeat(64), Array.from({ length: MAX_FAMILY + 2 }, (_, i) => i.toString(16).padStart(64, '0'))]) {
      assert.throws(
        () => configFromObject(withFamily(bad), '/srv'),
        (err: unknown) => err instanceof ConfigError && err.field === 'node.family',
        JSON.stringify(bad).slice(0, 40),
      );
    }
    // Its own key plus MAX_FAMILY others is allowed.
    assert.doesNotThrow(() => configFromObject(withFamily(Array.from({ length: MAX_FAMILY + 1 }, (_, i) => i.toString(16).padStart(64, '0'))), '/srv'));
  });
});
