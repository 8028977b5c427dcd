import assert from 'node:assert/strict';
import { DocumentFollower } from '../../../client/daemon/document-follower.js';
import { NetworkView } from '../../../client/daemon/network-view.js';
import { toHex } from '../../../protocol/bytes.js';
import type { NodeEntry } from '../../../protocol/pki/document.js';
import type { ClientRates } from '../../../protocol/traffic/client-streams.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { documentOf, EPOCHS, GATEWAY_A, GATEWAY_B, startOf } from './fake-network.js';

describe('client/daemon/document-follower', () => {
  async function follower(raise: Partial<ClientRates> = {}) {
    const clock = new ManualClock(startOf(50) + 1000);
    const view = new NetworkView({ clock }, { epochs: EPOCHS });
    const updates: NodeEntry[] = [];
    const streams = { rates: { lambdaP: 1, lambdaL: 0.1, lambdaD: 0.1 }, setRates: (r: ClientRates) => void (streams.rates = r) };
    const log = memoryLogger();
    const f = new DocumentFollower({ view, link: { updateGateway: (e) => void updates.push(e) }, streams, logger: log }, { gateway: toHex(GATEWAY_A.nodeId), raise });
    await f.start();
    return { clock, view, updates, streams, log, f };
  }

  it("takes the current epoch's rates (raised by the user's), and a coming epoch's gateway addresses but not yet its rates", async () => {
    const { view, updates, streams } = await follower({ lambdaL: 0.5 });
    view.add(documentOf(51, [GATEWAY_A], { lambdaP: 4, lambdaL: 0.2, lambdaD: 0 }));
    assert.equal(updates.length, 1, 'the coming epoch lists our gateway');
    assert.deepEqual(streams.rates, { lambdaP: 1, lambdaL: 0.1, lambdaD: 0.1 }, 'rates wait for their epoch');
    view.add(documentOf(50, [GATEWAY_A], { lambdaP: 2, lambdaL: 0.2, lambdaD: 0 }));
    assert.deepEqual(streams.rates, { lambdaP: 2, lambdaL: 0.5, lambdaD: 0 });
  });

  it('at start, follows the newest document the view already holds (it may come while the daemon starts from a cached one)', async () => {
    const clock = new ManualClock(startOf(50) + 1000);
    const view = new NetworkView({ clock }, { epochs: EPOCHS });
    view.add(documentOf(50, [GATEWAY_A], { lambdaP: 3, lambdaL: 0.2, lambdaD: 0 }));
    const updates: NodeEntry[] = [];
    const streams = { rates: { lambdaP: 1, lambdaL: 0.1, lambdaD: 0.1 }, setRates: (r: ClientRates) => void (streams.rates = r) };
    const f = new DocumentFollower({ view, link: { updateGateway: (e) => void updates.push(e) }, streams, logger: memoryLogger() }, { gateway: toHex(GATEWAY_A.nodeId), raise: {} });
    await f.start();
    assert.equal(updates.length, 1);
    assert.deepEqual(streams.rates, { lambdaP: 3, lambdaL: 0.2, lambdaD: 0 });
  });

  it('warns when our gateway is missing from a document, ignores past epochs, and stops following on stop', async () => {
    const { view, updates, streams, log, f } = await follower();
    view.add(documentOf(49, [GATEWAY_A], { lambdaP: 9, lambdaL: 0, lambdaD: 0 }));
    assert.equal(updates.length, 0, 'a past epoch changes nothing');
    view.add(documentOf(50, [GATEWAY_B], { lambdaP: 1, lambdaL: 0.1, lambdaD: 0.1 }));
    assert.deepEqual(
      log.records.map((r) => r.msg),
      ['our gateway is not in the document of a coming epoch'],
    );
    await f.stop();
    view.add(documentOf(50, [GATEWAY_A], { lambdaP: 3, lambdaL: 0, lambdaD: 0 }));
    assert.equal(streams.rates.lambdaP, 1);
  });
});
