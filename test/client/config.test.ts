import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { clientConfigFromObject, clientToml, ConfigError, networkFromObject, networkToml, type ClientConfig } from '../../client/config.js';

const network = {
  genesisMs: Date.parse('2026-01-01T00:00:00Z'),
  epochDurationMs: 15_000,
  authorities: [{ name: 'a1', identity: 'ab'.repeat(32), addresses: ['/ip4/127.0.0.1/tcp/20001'] }],
};

describe('client/config', () => {
  it('client.toml round-trips, with the defaults and raised rates', () => {
    const config: ClientConfig = {
      network,
      client: { gateway: 'cd'.repeat(32), gatewayName: 'gateway-a', fetchIntervalMs: 250, maxAttempts: 5, retransmitSlackMs: 2000, orderHoldMs: 60_000, raise: { lambdaL: 3 } },
    };
    assert.deepEqual(clientConfigFromObject(parse(clientToml(config))), { ...config, client: { ...config.client, raise: { lambdaP: undefined, lambdaL: 3, lambdaD: undefined } } });
    assert.deepEqual(networkFromObject(parse(networkToml(network))), network);
  });

  it('errors name the field and the fix', () => {
    const base = parse(clientToml({ network, client: { gateway: 'cd'.repeat(32), gatewayName: 'g', fetchIntervalMs: 1000, maxAttempts: 8, retransmitSlackMs: 3000, orderHoldMs: 1000, raise: {} } }));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reaches into parsed TOML of any shape
    type Toml = Record<string, any>;
    const bad = (patch: (t: Toml) => void, field: string) => {
      const t = structuredClone(base) as Toml;
      patch(t);
      assert.throws(
        () => clientConfigFromObject(t),
        (e: unknown) => e instanceof ConfigError && e.field === field && /Fix:/.test(e.message),
      );
    };
    bad((t) => (t.client.gateway = 'nothex'), 'client.gateway');
    bad((t) => (t.client.fetch_interval = '0ms'), 'client.fetch_interval');
    bad((t) => (t.client.max_attempts = 0), 'client.max_attempts');
    bad((t) => (t.client.lambda_p = -1), 'client.lambda_p');
    bad((t) => (t.client.colour = 'blue'), 'client.colour');
    bad((t) => (t.network.genesis = 'yesterday'), 'network.genesis');
    bad((t) => delete t.authorities, 'authorities');
  });
});
