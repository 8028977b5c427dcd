import assert from 'node:assert/strict';
import { ClientStreams, MAX_CATCH_UP_MS, raiseRates, type StreamPacket } from '../../../protocol/traffic/client-streams.js';
import { seededUniform } from '../../../simulator/random.js';
import { ManualClock } from '../../helpers/manual-clock.js';

/** |count − λT| within 5 standard deviations of a Poisson count. */
function assertPoisson(count: number, rate: number, seconds: number, what: string): void {
  const mean = rate * seconds;
  assert.ok(Math.abs(count - mean) <= 5 * Math.sqrt(mean), `${what}: ${count} events, expected ${mean} ± ${(5 * Math.sqrt(mean)).toFixed(0)}`);
}

function run(queue: number[], seconds: number, seed = 7) {
  const clock = new ManualClock(0);
  const sent: Array<{ packet: StreamPacket<number>; at: number }> = [];
  const streams = new ClientStreams<number>({
    clock,
    uniform: seededUniform(seed),
    rates: { lambdaP: 4, lambdaL: 1, lambdaD: 0.5 },
    nextReal: () => queue.shift(),
    emit: (packet, at) => sent.push({ packet, at }),
  });
  streams.start();
  clock.advanceTo(seconds * 1000);
  streams.stop();
  return { sent, counts: streams.counts() };
}

describe('protocol/traffic/client-streams', () => {
  it('sends λP + λL + λD packets per second, each stream at its own rate', () => {
    const { sent } = run([], 2000);
    const of = (f: (p: StreamPacket<number>) => boolean) => sent.filter((s) => f(s.packet)).length;
    assertPoisson(
      of((p) => p.kind === 'decoy'),
      4,
      2000,
      'payload',
    );
    assertPoisson(
      of((p) => p.kind === 'loop'),
      1,
      2000,
      'loop',
    );
    assertPoisson(
      of((p) => p.kind === 'drop'),
      0.5,
      2000,
      'drop',
    );
  });

  it('real packets replace payload-stream decoys: same seed, same send times, busy or idle', () => {
    const idle = run([], 600);
    const busy = run(
      Array.from({ length: 1000 }, (_, i) => i),
      600,
    );
    assert.deepEqual(
      busy.sent.map((s) => s.at),
      idle.sent.map((s) => s.at),
    );
    const real = busy.sent.filter((s) => s.packet.kind === 'real').map((s) => (s.packet as { item: number }).item);
    assert.equal(real.length, 1000, 'every queued packet left, none twice');
    assert.deepEqual(
      real,
      real.slice().sort((a, b) => a - b),
      'queue order kept',
    );
    assert.equal(busy.counts.real + busy.counts.decoy, idle.counts.decoy);
    assert.equal(busy.counts.drop, idle.counts.drop, 'the drop stream does not depend on the queue');
    // What comes back through a SURB-ACK (real, decoy, loop) is the same count busy or idle.
    assert.equal(busy.counts.real + busy.counts.decoy + busy.counts.loop, idle.counts.decoy + idle.counts.loop);
  });

  it('stop() ends every stream; setRates changes the rate', () => {
    const clock = new ManualClock(0);
    let n = 0;
    const streams = new ClientStreams<never>({ clock, uniform: seededUniform(3), rates: { lambdaP: 10, lambdaL: 0, lambdaD: 0 }, nextReal: () => undefined, emit: () => n++ });
    streams.start();
    clock.advanceTo(100_000);
    assertPoisson(n, 10, 100, 'before');
    streams.setRates({ lambdaP: 1, lambdaL: 0, lambdaD: 0 });
    n = 0;
    clock.advanceTo(1_100_000);
    assertPoisson(n, 1, 1000, 'after setRates');
    streams.stop();
    n = 0;
    clock.advanceTo(2_000_000);
    assert.equal(n, 0);
  });

  it('after a stall it does not send a burst of catch-up packets', () => {
    // A clock that jumps: the timer runs an hour after its planned time.
    let now = 0;
    const pending: Array<{ at: number; fn: () => void }> = [];
    const clock = { now: () => now, at: (at: number, fn: () => void) => (pending.push({ at, fn }), { cancel() {} }) };
    const times: number[] = [];
    const streams = new ClientStreams<never>({ clock, uniform: seededUniform(5), rates: { lambdaP: 5, lambdaL: 0, lambdaD: 0 }, nextReal: () => undefined, emit: (_, at) => times.push(at) });
    streams.start();
    now = 3_600_000;
    pending.shift()!.fn();
    assert.ok(pending[0].at >= now - MAX_CATCH_UP_MS, `next event at ${pending[0].at}, now ${now}`);
  });

  it('refuses bad rates and only ever raises the network rates', () => {
    assert.throws(() => new ClientStreams({ clock: new ManualClock(), uniform: Math.random, rates: { lambdaP: 0, lambdaL: 1, lambdaD: 0 }, nextReal: () => undefined, emit: () => {} }), /lambdaP/);
    assert.throws(() => new ClientStreams({ clock: new ManualClock(), uniform: Math.random, rates: { lambdaP: 1, lambdaL: -1, lambdaD: 0 }, nextReal: () => undefined, emit: () => {} }), /lambdaL/);
    assert.deepEqual(raiseRates({ lambdaP: 4, lambdaL: 1, lambdaD: 0 }, { lambdaP: 2, lambdaL: 3 }), { lambdaP: 4, lambdaL: 3, lambdaD: 0 });
  });
});
