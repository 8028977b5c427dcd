// The chaos scenarios as files (chaos/scenarios/, docs/chaos.md): each one
// well formed (a unique name, faults inside its run, a bound for what must
// recover, namespaces where it needs them), and `npm run chaos` listing them
// and refusing what it cannot run.

import assert from 'node:assert/strict';
import { main } from '../../chaos/run.js';
import { cannotRun } from '../../chaos/runner.js';
import { SCENARIOS } from '../../chaos/scenarios/index.js';
import { netnsUnavailable } from '../../chaos/netns.js';
import { DEFAULT_SHAPE, nodeNames } from '../../testnet/plan.js';

describe('chaos: scenarios', () => {
  it('each has a unique name, a description, faults inside its run and a recovery bound', () => {
    assert.equal(new Set(SCENARIOS.map((s) => s.name)).size, SCENARIOS.length);
    for (const s of SCENARIOS) {
      assert.match(s.name, /^[a-z0-9-]+$/, s.name);
      assert.ok(s.description.length > 40, `${s.name}: describe what happens and what must hold`);
      assert.ok(s.recovery.withinMs > 0 && s.recovery.what.length > 0, s.name);
      const names = new Set(nodeNames({ ...DEFAULT_SHAPE, ...s.shape }).map((n) => n.name));
      for (const f of s.faults) {
        assert.ok(f.atMs >= 0 && f.atMs < s.traffic.durationMs, `${s.name}: a fault starts outside the traffic`);
        const end = f.kind === 'kill' ? f.restartAtMs : f.healAtMs;
        if (end !== undefined) assert.ok(end > f.atMs, `${s.name}: a fault ends before it starts`);
        for (const t of f.targets) assert.ok(names.has(t) || /^layer-\d+$/.test(t) || /^gateway-of-(alice|bob)$/.test(t), `${s.name}: unknown target ${t}`);
        if (f.kind === 'partition') assert.equal(s.network, 'netns', `${s.name}: a partition needs namespaces`);
      }
      if (s.links) assert.equal(s.network, 'netns', `${s.name}: link faults need namespaces`);
      if (s.recovery.measure === 'heal')
        assert.ok(
          s.faults.some((f) => (f.kind === 'kill' ? f.restartAtMs !== undefined : true)),
          `${s.name}: measured from a heal, but nothing heals`,
        );
      for (const n of Object.keys(s.clockSkewMs ?? {})) assert.ok(names.has(n), `${s.name}: skew on unknown node ${n}`);
    }
  });

  it('a scenario on loopback can run anywhere; one with namespaces says why not when it cannot', () => {
    for (const s of SCENARIOS) {
      if (s.network === 'loopback') assert.equal(cannotRun(s), null, s.name);
      else assert.equal(cannotRun(s), netnsUnavailable(), s.name);
    }
  });

  it('`npm run chaos -- --list` lists every scenario; an unknown name is refused', async () => {
    let out = '';
    let err = '';
    assert.equal(
      await main(
        ['--list'],
        (s) => (out += s),
        (s) => (err += s),
      ),
      0,
    );
    for (const s of SCENARIOS) assert.match(out, new RegExp(`^${s.name} `, 'm'));
    assert.equal(
      await main(
        ['no-such-scenario'],
        (s) => (out += s),
        (s) => (err += s),
      ),
      2,
    );
    assert.match(err, /no scenario "no-such-scenario"/);
  });
});
