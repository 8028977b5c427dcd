// The one chaos scenario `npm test` runs (docs/chaos.md; the others run with
// `npm run chaos`): chaos/scenarios/mix-down.ts on 127.0.0.1 — a mix
// SIGKILLed and kept down for two epochs of 10 s while two client daemons
// chat, then restarted. Every message arrives exactly once (counted by id as
// the receiving application shows and stores it), the backlog clears within
// the scenario's bound after the restart, and the mix is listed again.

import assert from 'node:assert/strict';
import { runAndSummarise } from '../../chaos/runner.js';
import mixDown from '../../chaos/scenarios/mix-down.js';
import type { ChaosSummary } from '../../chaos/scenario.js';

describe('integration: chaos scenario mix-down', function () {
  it('a mix down for two epochs: every message exactly once, recovered within the bound', async function () {
    this.timeout(180_000);
    const progress: string[] = [];
    const summary: ChaosSummary = await runAndSummarise(mixDown, { out: (l) => progress.push(l) });
    const detail = `\n${progress.join('\n')}\n${JSON.stringify(summary, null, 1)}`;
    const m = summary.messages;
    assert.ok(m.sent >= 40, `only ${m.sent} messages sent${detail}`);
    assert.equal(m.delivered, m.sent, `delivered ${m.delivered} of ${m.sent}${detail}`);
    assert.equal(m.duplicates, 0, `duplicates${detail}`);
    assert.equal(m.lost, 0, `lost${detail}`);
    assert.ok(summary.recovery.recoveryMs !== null && summary.recovery.recoveryMs <= summary.recovery.boundMs, `recovery ${summary.recovery.recoveryMs} ms${detail}`);
    assert.ok(summary.recovery.firstDeliveryAfterHealMs !== null && summary.recovery.firstDeliveryAfterHealMs <= summary.recovery.boundMs, `first delivery after the restart${detail}`);
    assert.deepEqual(summary.recovery.missingFromDocument, [], `mix-1 listed again${detail}`);
    assert.ok(summary.pass, `${summary.failures.join('; ')}${detail}`);
  });
});
