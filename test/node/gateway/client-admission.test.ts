import assert from 'node:assert/strict';
import { multiaddr } from '@multiformats/multiaddr';
import { ClientAdmission, DEFAULT_REGISTRATION_POLICY, ipv6Prefix64, sourceOf } from '../../../node/gateway/client-admission.js';

describe('node/gateway/client-admission: registration budgets and sending identities per address', function () {
  it('names a source by its IPv4 address or IPv6 /64', function () {
    assert.equal(sourceOf(multiaddr('/ip4/203.0.113.7/tcp/4001')), 'ip4:203.0.113.7');
    assert.equal(sourceOf(multiaddr('/ip6/2001:db8:1:2:aaaa::1/tcp/4001')), 'ip6:2001:db8:1:2');
    assert.equal(sourceOf(multiaddr('/ip6/2001:db8:1:2:bbbb:cccc:dddd:eeee/tcp/1')), 'ip6:2001:db8:1:2', 'one /64, one source');
    assert.equal(sourceOf(undefined), 'unknown');
    assert.equal(ipv6Prefix64('::1'), '0:0:0:0');
    assert.equal(ipv6Prefix64('2001:db8::'), '2001:db8:0:0');
  });

  it('charges per-address and gateway-wide hourly budgets; refills over the hour; prunes full budgets', function () {
    const a = new ClientAdmission({ ...DEFAULT_REGISTRATION_POLICY, perAddressPerHour: 2, perHour: 3 }, 0);
    assert.equal(a.chargeRegistration('ip4:1.1.1.1', 0), null);
    assert.equal(a.chargeRegistration('ip4:1.1.1.1', 0), null);
    assert.equal(a.chargeRegistration('ip4:1.1.1.1', 0), 'address-limit');
    assert.equal(a.chargeRegistration('ip4:2.2.2.2', 0), null);
    assert.equal(a.chargeRegistration('ip4:3.3.3.3', 0), 'rate-limited');
    assert.equal(a.tracked().registrationBuckets, 3);
    assert.equal(a.chargeRegistration('ip4:1.1.1.1', 1_800_000), null, 'half an hour refills one of two');
    assert.equal(a.prune(10 * 3_600_000), 3, 'full again: dropped');
    assert.equal(a.tracked().registrationBuckets, 0);
  });

  it('lets at most connectionsPerAddress identities of one address send at once; a closed stream frees its place', function () {
    const a = new ClientAdmission({ ...DEFAULT_REGISTRATION_POLICY, connectionsPerAddress: 2 }, 0);
    assert.equal(a.openStream('ip4:1.1.1.1', 'alice'), true);
    assert.equal(a.openStream('ip4:1.1.1.1', 'alice'), true, 'a second stream of the same identity');
    assert.equal(a.openStream('ip4:1.1.1.1', 'bob'), true);
    assert.equal(a.openStream('ip4:1.1.1.1', 'carol'), false);
    assert.equal(a.openStream('ip4:9.9.9.9', 'carol'), true, 'another address');
    a.closeStream('ip4:1.1.1.1', 'alice');
    assert.equal(a.openStream('ip4:1.1.1.1', 'carol'), false, 'alice still has a stream');
    a.closeStream('ip4:1.1.1.1', 'alice');
    assert.equal(a.openStream('ip4:1.1.1.1', 'carol'), true);
    for (const [s, c] of [
      ['ip4:1.1.1.1', 'bob'],
      ['ip4:1.1.1.1', 'carol'],
      ['ip4:9.9.9.9', 'carol'],
    ])
      a.closeStream(s, c);
    assert.equal(a.tracked().connectedAddresses, 0, 'nothing held once every stream closed');
  });

  it('refuses an invalid policy', function () {
    assert.throws(() => new ClientAdmission({ ...DEFAULT_REGISTRATION_POLICY, proofBits: 33 }, 0), RangeError);
    assert.throws(() => new ClientAdmission({ ...DEFAULT_REGISTRATION_POLICY, maxClients: 0 }, 0), RangeError);
    assert.throws(() => new ClientAdmission({ ...DEFAULT_REGISTRATION_POLICY, mode: 'free' as 'open' }, 0), RangeError);
  });
});
