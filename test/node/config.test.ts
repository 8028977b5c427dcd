import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configFromObject, loadConfig, parseDuration } from '../../node/config.js';

const AUTH = 'a'.repeat(64);
const minimal = (extra: Record<string, unknown> = {}) => ({
  node: { name: 'mix-1', role: 'mix', data_dir: 'data/mix-1', listen: ['/ip4/127.0.0.1/tcp/0'] },
  authorities: [{ name: 'auth-1', identity: AUTH, addresses: ['/ip4/127.0.0.1/tcp/30000'] }],
  ...extra,
});

function failsOn(field: string, raw: unknown): void {
  assert.throws(
    () => configFromObject(raw, '/srv/chaff'),
    (err: unknown) => err instanceof ConfigError && err.field === field && /Fix: /.test(err.message),
    `expected a ConfigError naming ${field}`,
  );
}

describe('node config', function () {
  it('fills defaults and resolves the data folder against the config file', function () {
    const c = configFromObject(minimal(), '/srv/chaff');
    assert.equal(c.node.dataDir, '/srv/chaff/data/mix-1');
    assert.deepEqual(c.node.announce, c.node.listen);
    assert.equal(c.authority.epochDurationMs, 20 * 60_000);
    assert.equal(c.authority.layers, 3);
    assert.equal(c.gateway.retentionMs, 14 * 86_400_000);
    assert.equal(c.gateway.syncDeposits, false);
    assert.equal(configFromObject(minimal({ gateway: { sync_deposits: true } }), '/srv/chaff').gateway.syncDeposits, true);
    assert.equal(c.metrics.listen, null);
    assert.equal(c.log.level, 'info');
  });

  it('reads the gateway registration policy and bounds, with defaults', function () {
    const d = configFromObject(minimal(), '/srv/chaff').gateway;
    assert.deepEqual(
      [
        d.registration,
        d.registrationPowBits,
        d.maxClients,
        d.registrationsPerHour,
        d.registrationsPerAddressPerHour,
        d.clientsPerAddress,
        d.handleClaimsPerClientPerHour,
        d.idleExpiryMs,
        d.mailboxTotalBytes,
        d.requestAllowanceMessages,
        d.requestAllowanceBytes,
      ],
      ['open', 16, 10_000, 600, 10, 16, 10, 30 * 86_400_000, 16 * 1024 ** 3, 32, 256 * 1024],
    );
    const g = configFromObject(
      minimal({
        gateway: {
          registration: 'invite',
          registration_pow_bits: 0,
          max_clients: 50,
          idle_expiry: '7d',
          mailbox_total_bytes: 1 << 30,
          request_allowance_messages: 8,
          handle_claims_per_client_per_hour: 3,
        },
      }),
      '/srv/chaff',
    ).gateway;
    assert.deepEqual(
      [g.registration, g.registrationPowBits, g.maxClients, g.idleExpiryMs, g.mailboxTotalBytes, g.requestAllowanceMessages, g.handleClaimsPerClientPerHour],
      ['invite', 0, 50, 7 * 86_400_000, 1 << 30, 8, 3],
    );
    failsOn('gateway.registration', minimal({ gateway: { registration: 'free' } }));
    failsOn('gateway.registration_pow_bits', minimal({ gateway: { registration_pow_bits: 40 } }));
    failsOn('gateway.max_clients', minimal({ gateway: { max_clients: 0 } }));
    failsOn('gateway.idle_expiry', minimal({ gateway: { idle_expiry: '5m' } }));
    failsOn('gateway.handle_claims_per_client_per_hour', minimal({ gateway: { handle_claims_per_client_per_hour: 0 } }));
    failsOn('gateway.handle_claims_per_client_per_hour', minimal({ gateway: { handle_claims_per_client_per_hour: 2.5 } }));
  });

  it('reads the unwrap workers: default cores − 1 (at least 1), 0 for the event loop, bounded', function () {
    assert.equal(configFromObject(minimal(), '/srv/chaff').mix.workers, Math.max(1, availableParallelism() - 1));
    assert.equal(configFromObject(minimal({ mix: { workers: 0 } }), '/srv/chaff').mix.workers, 0);
    assert.equal(configFromObject(minimal({ mix: { workers: 3 } }), '/srv/chaff').mix.workers, 3);
    failsOn('mix.workers', minimal({ mix: { workers: -1 } }));
    failsOn('mix.workers', minimal({ mix: { workers: 1.5 } }));
  });

  it('parses durations', function () {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('20m'), 1_200_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('14d'), 1_209_600_000);
    assert.equal(parseDuration('20 minutes'), null);
    assert.equal(parseDuration('-5s'), null);
  });

  it('names the field and the fix for every kind of mistake', function () {
    failsOn('node.role', minimal({ node: { ...minimal().node, role: 'relay' } }));
    failsOn('node.name', minimal({ node: { ...minimal().node, name: '' } }));
    failsOn('node.listen', minimal({ node: { ...minimal().node, listen: [] } }));
    failsOn('node.listen', minimal({ node: { ...minimal().node, listen: '/ip4/1.2.3.4/tcp/1' } }));
    failsOn('node.colour', minimal({ node: { ...minimal().node, colour: 'blue' } }));
    failsOn('mixx', minimal({ mixx: {} }));
    failsOn('authorities', { node: minimal().node });
    failsOn('authorities[0].identity', minimal({ authorities: [{ name: 'a', identity: 'xyz', addresses: [] }] }));
    failsOn('authorities', minimal({ authorities: [minimal().authorities[0], minimal().authorities[0]] }));
    failsOn('authority.epoch_duration', minimal({ authority: { epoch_duration: '20 minutes' } }));
    failsOn('authority.epoch_duration', minimal({ authority: { epoch_duration: '10ms' } }));
    failsOn('authority.layers', minimal({ authority: { layers: 0 } }));
    failsOn('authority.layers', minimal({ authority: { layers: 2.5 } }));
    failsOn('authority.mu', minimal({ authority: { mu: -1 } }));
    failsOn('authority.genesis', minimal({ authority: { genesis: 'yesterday' } }));
    failsOn('gateway.fetch_batch', minimal({ gateway: { fetch_batch: 'many' } }));
    failsOn('gateway.sync_deposits', minimal({ gateway: { sync_deposits: 'yes' } }));
    failsOn('metrics.listen', minimal({ metrics: { listen: 'localhost' } }));
    failsOn('log.level', minimal({ log: { level: 'verbose' } }));
  });

  it('loads a TOML file and reports unreadable or invalid files', function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-config-'));
    const file = join(dir, 'node.toml');
    writeFileSync(
      file,
      `[node]\nname = "gw-1"\nrole = "gateway"\ndata_dir = "gw"\nlisten = ["/ip4/127.0.0.1/tcp/0"]\n\n` +
        `[[authorities]]\nname = "auth-1"\nidentity = "${AUTH}"\naddresses = ["/ip4/127.0.0.1/tcp/30000"]\n\n` +
        `[gateway]\nretention = "24h"\n\n[metrics]\nlisten = "127.0.0.1:9100"\n`,
    );
    const c = loadConfig(file);
    assert.equal(c.node.role, 'gateway');
    assert.equal(c.node.dataDir, join(dir, 'gw'));
    assert.equal(c.gateway.retentionMs, 86_400_000);
    assert.equal(c.metrics.listen, '127.0.0.1:9100');

    assert.throws(
      () => loadConfig(join(dir, 'missing.toml')),
      (e: unknown) => e instanceof ConfigError && /ENOENT/.test(e.message),
    );
    writeFileSync(file, '[node\nname = ');
    assert.throws(
      () => loadConfig(file),
      (e: unknown) => e instanceof ConfigError && /not valid TOML/.test(e.message),
    );
  });
});
