import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import {
  clientConfigFromObject,
  clientToml,
  ConfigError,
  DEFAULT_CLIENT_SETTINGS,
  loadClientConfig,
  networkFromObject,
  networkToml,
  updateClientConfigFile,
  updateClientToml,
  type ClientConfig,
} from '../../client/config.js';

const network = {
  genesisMs: Date.parse('2026-01-01T00:00:00Z'),
  epochDurationMs: 15_000,
  authorities: [{ name: 'a1', identity: 'ab'.repeat(32), addresses: ['/ip4/127.0.0.1/tcp/20001'] }],
};

const BASE: ClientConfig = { network, client: { gateway: 'cd'.repeat(32), gatewayName: 'g', fetchIntervalMs: 1000, maxAttempts: 8, retransmitSlackMs: 3000, orderHoldMs: 1000, raise: {} } };

describe('client/config', () => {
  it('client.toml round-trips, with the defaults and raised rates', () => {
    const config: ClientConfig = {
      network,
      client: { gateway: 'cd'.repeat(32), gatewayName: 'gateway-a', fetchIntervalMs: 250, maxAttempts: 5, retransmitSlackMs: 2000, orderHoldMs: 60_000, raise: { lambdaL: 3 } },
    };
    assert.deepEqual(clientConfigFromObject(parse(clientToml(config))), { ...config, client: { ...config.client, raise: { lambdaP: undefined, lambdaL: 3, lambdaD: undefined }, readReceipts: true } });
    assert.deepEqual(networkFromObject(parse(networkToml(network))), network);
    const off = { ...config, client: { ...config.client, readReceipts: false } };
    assert.equal(clientConfigFromObject(parse(clientToml(off))).client.readReceipts, false, 'read_receipts = false round-trips');
    assert.match(clientToml(off), /^read_receipts = false$/m);
  });

  it('read_receipts defaults to true when absent (a client.toml written before it existed)', () => {
    const t = parse(clientToml(BASE)) as Record<string, Record<string, unknown>>;
    delete t.client.read_receipts;
    assert.equal(clientConfigFromObject(t).client.readReceipts, true);
    assert.deepEqual(DEFAULT_CLIENT_SETTINGS.readReceipts, true);
  });

  describe('updateClientToml: the settings calls edit the file in place', () => {
    const written = clientToml(BASE);

    it('sets read_receipts and the raises, keeping the comments and every other line', () => {
      const text = `# my own note\n${written}`.replace('max_attempts = 8', 'max_attempts = 8   # kept');
      const next = updateClientToml(text, { readReceipts: false, raise: { lambdaP: 6, lambdaD: 2.5 } });
      const c = clientConfigFromObject(parse(next)).client;
      assert.equal(c.readReceipts, false);
      assert.deepEqual(c.raise, { lambdaP: 6, lambdaL: undefined, lambdaD: 2.5 });
      assert.match(next, /^# my own note$/m, "the user's comment stays");
      assert.match(next, /^max_attempts = 8 {3}# kept$/m, 'an untouched line stays as it was');
      assert.match(next, /^lambda_p = 6$/m);
      assert.match(next, /^lambda_d = 2.5$/m);
      assert.equal(next.split('\n').length, text.split('\n').length + 2, 'two lines added, none lost');
    });

    it('replaces a raise in place and removes one set to null', () => {
      const raised = updateClientToml(written, { raise: { lambdaP: 6, lambdaL: 3 } });
      const next = updateClientToml(raised, { raise: { lambdaP: 8, lambdaL: null } });
      assert.deepEqual(clientConfigFromObject(parse(next)).client.raise, { lambdaP: 8, lambdaL: undefined, lambdaD: undefined });
      assert.doesNotMatch(next, /^lambda_l/m);
      assert.equal((next.match(/^lambda_p =/gm) ?? []).length, 1);
    });

    it('a [client] table written another way is written anew with the same values', () => {
      const inline = written.replace(/\[client\][\s\S]*$/, '').replace('[network]', `client = { gateway = "${'cd'.repeat(32)}", gateway_name = "g", max_attempts = 5 }\n[network]`);
      const next = updateClientToml(inline, { readReceipts: false });
      const c = clientConfigFromObject(parse(next)).client;
      assert.deepEqual([c.readReceipts, c.maxAttempts, c.gatewayName], [false, 5, 'g']);
    });

    it('refuses a file that is not a valid client.toml, naming the problem', () => {
      assert.throws(
        () => updateClientToml('[client\n', { readReceipts: false }),
        (e: unknown) => e instanceof ConfigError && /not valid TOML/.test(e.message),
      );
      assert.throws(
        () => updateClientToml(written.replace('max_attempts = 8', 'max_attempts = 0'), { readReceipts: false }),
        (e: unknown) => e instanceof ConfigError && e.field === 'client.max_attempts',
      );
    });

    it('updateClientConfigFile replaces the file and returns what it now holds', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'chaff-config-'));
      try {
        const path = join(dir, 'client.toml');
        writeFileSync(path, written, { mode: 0o600 });
        const c = await updateClientConfigFile(path, { readReceipts: false, raise: { lambdaL: 2 } });
        assert.deepEqual([c.client.readReceipts, c.client.raise.lambdaL], [false, 2]);
        assert.deepEqual(loadClientConfig(path), c);
        assert.equal(statSync(path).mode & 0o777, 0o600);
        assert.deepEqual(readdirSync(dir), ['client.toml'], 'no temporary file left');
        await assert.rejects(updateClientConfigFile(join(dir, 'missing.toml'), { readReceipts: true }), (e: unknown) => e instanceof ConfigError && /cannot read/.test(e.message));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('errors name the field and the fix', () => {
    const base = parse(clientToml(BASE));
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
    bad((t) => (t.client.lambda_d = 1001), 'client.lambda_d');
    bad((t) => (t.client.read_receipts = 'no'), 'client.read_receipts');
    bad((t) => (t.client.colour = 'blue'), 'client.colour');
    bad((t) => (t.network.genesis = 'yesterday'), 'network.genesis');
    bad((t) => delete t.authorities, 'authorities');
  });
});
