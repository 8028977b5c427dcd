// The composition root (node/daemon.ts): a relay's components start in the
// order written in its header and docs/operators.md §Shutdown, and stop in
// the reverse order, host last. In process, on loopback; the one authority
// is unreachable (its port is closed), which a starting relay survives.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromObject } from '../../node/config.js';
import { runNode } from '../../node/daemon.js';
import { toHex } from '../../protocol/bytes.js';
import { memoryLogger } from '../../runtime/log/logger.js';
import { keyFor } from '../helpers/pki-fixtures.js';

const RELAY = ['host', 'sphinx keyring', 'replay cache', 'key retirement', 'pki client', 'document watcher'];

describe('node/daemon: the composition root', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'chaff-daemon-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const config = (role: 'mix' | 'gateway') =>
    configFromObject(
      {
        node: { name: `${role}-1`, role, data_dir: role, listen: ['/ip4/127.0.0.1/tcp/0'] },
        authorities: [{ name: 'auth-1', identity: toHex(keyFor(201).publicKey), addresses: ['/ip4/127.0.0.1/tcp/1'] }],
        metrics: { listen: '127.0.0.1:0' },
      },
      dir,
    );

  for (const [role, own] of [
    ['mix', ['mix service']],
    ['gateway', ['mailbox store', 'client registry', 'handle registry', 'packet link', 'gateway service', 'mailbox expiry']],
  ] as const) {
    it(`starts a ${role} in the written order, serves metrics, and stops everything (host last)`, async () => {
      const log = memoryLogger();
      const node = await runNode(config(role), log);
      // The node announces itself (uploads its descriptor) only once its role's service serves.
      assert.deepEqual(node.startOrder, [...RELAY, ...own, 'descriptor uploader', 'metrics server']);
      assert.ok(node.metricsPort);
      assert.equal((await fetch(`http://127.0.0.1:${node.metricsPort}/metrics`)).status, 200);
      await node.stop();
      await node.stop();
      assert.equal(node.host.status, 'stopped');
      await assert.rejects(fetch(`http://127.0.0.1:${node.metricsPort}/metrics`));
      assert.ok(!log.records.some((r) => r.msg === 'shutdown step failed'), JSON.stringify(log.records.filter((r) => r.level === 'warn')));
    });
  }
});
