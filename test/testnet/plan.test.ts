import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../node/config.js';
import { readAdmissions } from '../../node/authority/admission-list.js';
import { DEFAULT_SHAPE, planTestnet } from '../../testnet/plan.js';

describe('testnet plan', function () {
  it('lays out 3 authorities, 3 layers × 2 mixes and 2 gateways with valid configs', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-plan-'));
    const plan = await planTestnet(dir, DEFAULT_SHAPE, Date.parse('2026-11-22T00:00:00Z'));
    assert.deepEqual(
      plan.nodes.map((n) => n.role).reduce<Record<string, number>>((acc, r) => ((acc[r] = (acc[r] ?? 0) + 1), acc), {}),
      { authority: 3, mix: 6, gateway: 2 },
    );
    assert.equal(new Set(plan.nodes.map((n) => n.port)).size, plan.nodes.length, 'distinct ports');
    assert.equal(new Set(plan.nodes.map((n) => n.identityKey)).size, plan.nodes.length, 'distinct identities');
    for (const n of plan.nodes) {
      const c = loadConfig(n.configPath);
      assert.equal(c.node.role, n.role);
      assert.equal(c.authorities.length, 3);
      assert.equal(c.authority.epochDurationMs, DEFAULT_SHAPE.epochDurationMs);
      assert.equal(c.authority.genesisMs, plan.genesisMs);
      assert.equal(c.metrics.listen, `127.0.0.1:${n.metricsPort}`);
    }
    const relays = plan.nodes.filter((n) => n.role !== 'authority');
    for (const a of plan.nodes.filter((n) => n.role === 'authority')) {
      const list = await readAdmissions(join(a.dataDir, 'admissions.toml'));
      assert.deepEqual(
        list.map((r) => [r.identity, r.status, r.role]),
        relays.map((n) => [n.identityKey, 'admitted', n.role]),
        `${a.name} admits exactly the testnet's mixes and gateways, each in its role`,
      );
    }
  });
});
