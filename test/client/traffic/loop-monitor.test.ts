import assert from 'node:assert/strict';
import { LoopMonitor } from '../../../client/traffic/loop-monitor.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const payload = (n: number) => new Uint8Array(2048).fill(n);
const surb = (n: number) => new Uint8Array(16).fill(n);

describe('client/traffic/loop-monitor', () => {
  it('counts loops returned on time, late, and lost (a lost loop that returns after all becomes late)', async () => {
    const clock = new ManualClock(0);
    const loops = new LoopMonitor({ clock }, { lostAfterMs: 10_000 });
    loops.sent(payload(1), surb(1), 1000);
    loops.sent(payload(2), surb(2), 1000);
    loops.sent(payload(3), surb(3), 1000);
    clock.advanceTo(500);
    assert.equal(loops.returned(payload(1)), true);
    clock.advanceTo(2000);
    assert.equal(loops.returned(payload(2)), true);
    assert.equal(loops.returned(payload(2)), false, 'a duplicate is not ours any more');
    clock.advanceTo(11_001);
    assert.deepEqual(loops.stats(), { sent: 3, returned: 1, late: 1, lost: 1, outstanding: 0, acksReturned: 0 });
    assert.equal(loops.returned(payload(3)), true);
    assert.deepEqual(loops.stats(), { sent: 3, returned: 1, late: 2, lost: 0, outstanding: 0, acksReturned: 0 });
    assert.equal(loops.ackReturned(surb(3)), true);
    assert.equal(loops.ackReturned(surb(3)), false);
    assert.equal(loops.returned(payload(9)), false, 'a message that is not a loop');
    await loops.stop();
  });

  it("recognises decoys' SURB-ACKs, counts those not back in time as lost, and forgets them", async () => {
    const clock = new ManualClock(0);
    const loops = new LoopMonitor({ clock }, { lostAfterMs: 10_000 });
    loops.decoySent(surb(1), 1000);
    loops.decoySent(surb(2), 1000);
    loops.decoySent(surb(3), 5000);
    assert.deepEqual(loops.decoyStats(), { sent: 3, returned: 0, lost: 0, outstanding: 3 });
    clock.advanceTo(900);
    assert.equal(loops.ackReturned(surb(1)), true);
    assert.equal(loops.ackReturned(surb(1)), false, 'a duplicate ACK is not ours any more');
    clock.advanceTo(11_001);
    assert.deepEqual(loops.decoyStats(), { sent: 3, returned: 1, lost: 1, outstanding: 1 });
    assert.equal(loops.ackReturned(surb(2)), false, 'a lost decoy is forgotten');
    assert.equal(loops.ackReturned(surb(3)), true);
    assert.deepEqual(loops.decoyStats(), { sent: 3, returned: 2, lost: 1, outstanding: 0 });
    assert.equal(loops.stats().acksReturned, 0, "decoys are not loops' ACKs");
    clock.advanceTo(100_000);
    assert.deepEqual(loops.decoyStats(), { sent: 3, returned: 2, lost: 1, outstanding: 0 });
    await loops.stop();
  });

  it('stop() cancels every timer; loops and decoys sent after it arm none', async () => {
    const clock = new ManualClock(0);
    const loops = new LoopMonitor({ clock }, { lostAfterMs: 10_000 });
    loops.sent(payload(1), surb(1), 1000);
    loops.decoySent(surb(2), 1000);
    await loops.stop();
    loops.sent(payload(3), surb(3), 1000);
    loops.decoySent(surb(4), 1000);
    assert.equal(clock.pending, 0, 'no timer left on the clock');
    clock.advanceTo(100_000);
    assert.equal(loops.stats().lost, 0, 'nothing counted lost after stop');
  });
});
