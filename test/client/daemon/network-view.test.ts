import assert from 'node:assert/strict';
import { NetworkView } from '../../../client/daemon/network-view.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { documentOf, EPOCHS, GATEWAY_A, GATEWAY_B, startOf } from './fake-network.js';

const RATES = { lambdaP: 1, lambdaL: 0.1, lambdaD: 0.1 };

describe('client/daemon/network-view', () => {
  it('the first document: one of the epoch now or a neighbour, as soon as it is added', async () => {
    const clock = new ManualClock(startOf(50) + 1000);
    const view = new NetworkView({ clock }, { epochs: EPOCHS });
    const first = view.firstDocument(60_000);
    view.add(documentOf(48, [GATEWAY_A], RATES));
    view.add(documentOf(51, [GATEWAY_A], RATES));
    assert.equal((await first).epoch, 51);
  });

  it('no usable document within the timeout (on the clock) is an unavailable error', async () => {
    const clock = new ManualClock(startOf(50) + 1000);
    const view = new NetworkView({ clock }, { epochs: EPOCHS });
    const first = view.firstDocument(60_000);
    clock.advance(59_999);
    view.add(documentOf(10, [GATEWAY_A], RATES));
    clock.advance(1);
    await assert.rejects(first, /no verified network document within 60 s/);
  });

  it('routes only to gateways in the document of the epoch now (the newest before it is known), anything before a first document', () => {
    const clock = new ManualClock(startOf(50) + 1000);
    const view = new NetworkView({ clock }, { epochs: EPOCHS });
    assert.equal(view.routable(GATEWAY_B.nodeId), true, 'no document yet');
    view.add(documentOf(50, [GATEWAY_A], RATES));
    view.add(documentOf(51, [GATEWAY_A, GATEWAY_B], RATES));
    assert.equal(view.current()!.epoch, 50);
    assert.equal(view.routable(GATEWAY_B.nodeId), false);
    clock.advanceTo(startOf(51));
    assert.equal(view.current()!.epoch, 51);
    assert.equal(view.routable(GATEWAY_B.nodeId), true);
    clock.advanceTo(startOf(53));
    assert.equal(view.current()!.epoch, 51, 'the newest known when the epoch has none');
  });
});
