import assert from 'node:assert/strict';
import { simConfigFromObject, SimConfigError, type DirectConfig, type LoopixConfig } from '../../../simulator/config.js';
import { runDirect } from '../../../simulator/models/direct.js';
import { runLoopix } from '../../../simulator/models/loopix.js';
import { PresenceDisclosureAttack } from '../../../simulator/attacks/presence-disclosure.js';
import { PresenceIntersectionAttack } from '../../../simulator/attacks/presence-intersection.js';
import { buildPresence } from '../../../simulator/presence/build.js';
import { PresenceSchedule } from '../../../simulator/presence/schedule.js';
import { parseMessageTrace } from '../../../simulator/workload/message-trace.js';
import { ManualClock } from '../../helpers/manual-clock.js';

describe('simulator/presence: clients that go offline', function () {
  it('a schedule answers when a user is online, for how long, and when a deposit is read', function () {
    const schedule = new PresenceSchedule([Float64Array.from([1000, 2000, 5000, 6000]), null]);
    assert.equal(schedule.isOnline(0, 999), false);
    assert.equal(schedule.isOnline(0, 1000), true);
    assert.equal(schedule.isOnline(0, 2000), false);
    assert.equal(schedule.nextOnline(0, 2500), 5000);
    assert.equal(schedule.nextOnline(0, 6000), Infinity);
    assert.equal(schedule.nextOnline(1, 123), 123);
    assert.equal(schedule.onlineMs(0, 0, 10_000), 2000);
    assert.equal(schedule.onlineMs(0, 1500, 5500), 1000);
    // Pulls every 300 ms from 0: online at 1100 → the pull at 1200; at 1950 the next pull (2100) is after the session: read when back online.
    const grid = (t: number): number => Math.ceil(t / 300) * 300;
    assert.equal(schedule.readAt(0, 1100, grid), 1200);
    assert.equal(schedule.readAt(0, 1950, grid), 5000);
    assert.equal(schedule.readAt(0, 3000, grid), 5000);
    assert.equal(schedule.readAt(0, 7000, grid), Infinity);
    assert.throws(() => new PresenceSchedule([Float64Array.from([5, 3])]), /ascending/);

    const clock = new ManualClock(0);
    const log: string[] = [];
    schedule.drive(
      clock,
      (u) => log.push(`${clock.now()} up ${u}`),
      (u) => log.push(`${clock.now()} down ${u}`),
      5500,
    );
    clock.run(10_000);
    assert.deepEqual(log, ['0 up 1', '1000 up 0', '2000 down 0', '5000 up 0', '6000 down 0']);
  });

  it('draws sessions and gaps with the configured means; a share of users stays always online; a trace gives sessions around its messages', function () {
    const config = simConfigFromObject({ model: 'direct', presence: { kind: 'sessions', session: 600, gap: 1800, session_distribution: 'lognormal', always_online: 0.25 } }) as DirectConfig;
    const schedule = buildPresence(config.presence, { users: 200, seed: 3, horizonMs: 30 * 86_400_000 });
    let always = 0;
    let share = 0;
    for (let u = 0; u < 200; u++) {
      if (schedule.alwaysOnline(u)) always++;
      else share += schedule.onlineMs(u, 0, 30 * 86_400_000) / (30 * 86_400_000);
    }
    assert.equal(always, 50);
    assert.ok(Math.abs(share / 150 - 0.25) < 0.02, `online share ${share / 150}, expected 600 / (600 + 1800)`);

    const trace = parseMessageTrace('sender,recipient,time\na,b,0\na,b,100\na,c,5000\nb,a,5100\n');
    const derived = buildPresence({ kind: 'trace', beforeS: 60, afterS: 600, alwaysOnline: 0 }, { users: 3, seed: 1, horizonMs: 10_000_000, trace: { trace, timeScale: 1 } });
    assert.deepEqual([...(derived.sessions(0) as Float64Array)], [0, 700_000, 4_940_000, 5_600_000]);
    assert.deepEqual([...(derived.sessions(1) as Float64Array)], [5_040_000, 5_700_000]);
    // c writes nothing: online around what it receives.
    assert.deepEqual([...(derived.sessions(2) as Float64Array)], [4_940_000, 5_600_000]);
    assert.throws(
      () => simConfigFromObject({ model: 'direct', presence: { kind: 'trace' } }),
      (e: unknown) => e instanceof SimConfigError && /needs workload.kind = "trace"/.test(e.message),
    );
    assert.throws(
      () => simConfigFromObject({ model: 'direct', presence: { kind: 'sessions', gap: 0 } }),
      (e: unknown) => e instanceof SimConfigError && e.key === 'presence.gap',
    );
  });

  it('the presence attacks: an always-online sender scores the same for everyone; a part-time partner stands out', function () {
    // Users 0 (always online), 1 (online in even windows) and 2; 1 writes to 2 when online, 0 writes to 2 all the time.
    const disclosure = new PresenceDisclosureAttack(3);
    const intersection = new PresenceIntersectionAttack(3);
    for (let w = 0; w < 100; w++) {
      const online = [1, w % 2 === 0 ? 1 : 0, 1];
      const deliveries = w % 2 === 0 ? [2, 2] : [2];
      disclosure.observeWindow(online, deliveries);
      for (const r of deliveries) intersection.observe(r, online);
      intersection.observe(0, online);
    }
    const d = disclosure.scores();
    assert.equal(d[0 * 3 + 2], 0);
    assert.equal(d[1 * 3 + 2], 1);
    const i = intersection.scores();
    assert.equal(i[0 * 3 + 2], 1);
    assert.ok(i[1 * 3 + 2] > 1.1, `lift ${i[1 * 3 + 2]}`);
  });

  it('presence changes what the observer sees: an offline client sends nothing, its messages wait, and the default is exactly always-online', function () {
    this.timeout(120_000);
    const base = { model: 'loopix', duration: 600, epoch: 60, seeds: 1, lambda_p: 1, lambda_l: 0.5, lambda_d: 0, lambda_m: 0.2, curve_points: 2, graph: { kind: 'watts-strogatz', users: 16, k: 4 } };
    const always = runLoopix(simConfigFromObject(base) as LoopixConfig, 1);
    assert.equal(JSON.stringify(runLoopix(simConfigFromObject({ ...base, presence: { kind: 'always' } }) as LoopixConfig, 1)), JSON.stringify(always));
    assert.equal(always.metrics.presence, undefined);
    const partTime = runLoopix(simConfigFromObject({ ...base, presence: { kind: 'sessions', session: 120, gap: 120 } }) as LoopixConfig, 1);
    const share = partTime.metrics.presence?.onlineShare as number;
    assert.ok(share > 0.3 && share < 0.7, `online share ${share}`);
    // The observer sees each client's packets only while its link is up.
    const expected = 1.5 * share;
    assert.ok(Math.abs(partTime.metrics.traffic.packetsPerUserPerSecond - expected) < 0.1 * expected, `${partTime.metrics.traffic.packetsPerUserPerSecond} packets/s, expected about ${expected}`);
    assert.ok(Math.abs(always.metrics.traffic.packetsPerUserPerSecond - 1.5) < 0.05);
    // Messages wait for their sender to come online, and in the mailbox for their recipient.
    assert.ok(partTime.metrics.latencyMs.read.mean > 5 * always.metrics.latencyMs.read.mean, `read latency ${partTime.metrics.latencyMs.read.mean} against ${always.metrics.latencyMs.read.mean} ms`);
    assert.deepEqual(Object.keys(partTime.metrics.recovery), ['sda', 'gsda', 'lsda', 'popularity', 'presence-intersection', 'presence-disclosure']);

    const direct = runDirect(simConfigFromObject({ model: 'direct', duration: 3600, seeds: 1, presence: { kind: 'sessions', session: 300, gap: 900 } }) as DirectConfig, 1);
    assert.ok(direct.metrics.latencyMs.delivery.mean > 60_000, `a central server delivers when the sender is back: ${direct.metrics.latencyMs.delivery.mean} ms`);
    assert.equal(direct.counts.messages, direct.counts.delivered + direct.counts.undelivered);
  });

  it('an always-online Loopix user is not linked, while a part-time user is, more so the longer the observer watches', function () {
    this.timeout(120_000);
    const config = simConfigFromObject({
      model: 'loopix',
      duration: 1800,
      epoch: 60,
      curve_points: 6,
      seeds: 1,
      lambda_p: 1,
      lambda_l: 0,
      lambda_d: 0,
      lambda_m: 0.2,
      corrupt_gateways: 1,
      graph: { kind: 'watts-strogatz', users: 20, k: 4 },
      behaviour: { rate: 60, rate_distribution: 'constant' },
      presence: { kind: 'sessions', session: 300, gap: 300, always_online: 0.5 },
    }) as LoopixConfig;
    const run = runLoopix(config, 1);
    const curve = (run.metrics.presence?.curve ?? []).map((c) => c.linkageAuc['presence-disclosure']);
    assert.equal(curve.length, 6);
    const text = curve.map((c) => `${c.alwaysOnline.toFixed(2)}/${c.partTime.toFixed(2)}`).join(' ');
    for (const c of curve) assert.ok(Math.abs(c.alwaysOnline - 0.5) < 0.1, `always-online linkage near 0.5: ${text}`);
    assert.ok(curve[5].partTime > 0.7, `part-time linkage at the end: ${text}`);
    assert.ok(curve[5].partTime > curve[0].partTime + 0.05, `grows with observation time: ${text}`);
    this.test!.title += ` [always-online/part-time linkage over 300 … 1800 s: ${text}]`;
  });
});
