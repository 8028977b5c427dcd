// The user's raise of the cover rates changed while the daemon runs (the
// API's settings.set): the document follower applies it to the network's
// rates at once, and keeps raising every later document by it; a raise
// never lowers a rate below the network's. And what the rates cost a day.

import assert from 'node:assert/strict';
import { dailyBytes, trafficSizes } from '../../../client/daemon/daemon-settings.js';
import { DocumentFollower } from '../../../client/daemon/document-follower.js';
import { NetworkView } from '../../../client/daemon/network-view.js';
import { toHex } from '../../../protocol/bytes.js';
import { PRODUCTION_GEOMETRY } from '../../../protocol/sphinx/geometry.js';
import type { ClientRates } from '../../../protocol/traffic/client-streams.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { documentOf, EPOCHS, GATEWAY_A, startOf } from './fake-network.js';

describe('client/daemon: raising the cover rates while running', () => {
  async function follower(network?: ClientRates) {
    const clock = new ManualClock(startOf(50) + 1000);
    const view = new NetworkView({ clock }, { epochs: EPOCHS });
    const streams = { rates: { lambdaP: 1, lambdaL: 0.1, lambdaD: 0.1 }, setRates: (r: ClientRates) => void (streams.rates = r), changes: 0 };
    const setRates = streams.setRates;
    streams.setRates = (r) => {
      streams.changes++;
      setRates(r);
    };
    const log = memoryLogger();
    const f = new DocumentFollower({ view, link: { updateGateway: () => undefined }, streams, logger: log }, { gateway: toHex(GATEWAY_A.nodeId), raise: {}, ...(network ? { network } : {}) });
    await f.start();
    return { view, streams, log, f };
  }

  it("applies a new raise to the network's rates at once, and to every later document", async () => {
    const { view, streams, log, f } = await follower({ lambdaP: 1, lambdaL: 0.1, lambdaD: 0.1 });
    assert.deepEqual(f.networkRates, { lambdaP: 1, lambdaL: 0.1, lambdaD: 0.1 });
    assert.deepEqual(f.setRaise({ lambdaP: 3, lambdaD: 0.5 }), { lambdaP: 3, lambdaL: 0.1, lambdaD: 0.5 });
    assert.deepEqual(streams.rates, { lambdaP: 3, lambdaL: 0.1, lambdaD: 0.5 }, 'the streams run at the raised rates now');
    assert.deepEqual(f.raise, { lambdaP: 3, lambdaD: 0.5 });
    assert.ok(log.records.some((r) => r.msg === 'cover rates changed by the user'));

    // The network raises λP above the user's: the network's wins; the user's λD still applies.
    view.add(documentOf(50, [GATEWAY_A], { lambdaP: 4, lambdaL: 0.2, lambdaD: 0 }));
    assert.deepEqual(f.networkRates, { lambdaP: 4, lambdaL: 0.2, lambdaD: 0 });
    assert.deepEqual(streams.rates, { lambdaP: 4, lambdaL: 0.2, lambdaD: 0.5 });

    // The raise removed: back to the network's.
    f.setRaise({});
    assert.deepEqual(streams.rates, { lambdaP: 4, lambdaL: 0.2, lambdaD: 0 });
    // A raise below the network's changes nothing (the API refuses it before it gets here).
    const changes = streams.changes;
    f.setRaise({ lambdaP: 2 });
    assert.deepEqual(streams.rates, { lambdaP: 4, lambdaL: 0.2, lambdaD: 0 });
    assert.equal(streams.changes, changes, 'the same rates do not restart the streams');
  });

  it("without the network's rates known yet, a raise waits for the next document", async () => {
    const { view, streams, f } = await follower();
    assert.equal(f.networkRates, null);
    f.setRaise({ lambdaL: 2 });
    assert.deepEqual(streams.rates, { lambdaP: 1, lambdaL: 0.1, lambdaD: 0.1 });
    view.add(documentOf(50, [GATEWAY_A], { lambdaP: 2, lambdaL: 1, lambdaD: 0.5 }));
    assert.deepEqual(streams.rates, { lambdaP: 2, lambdaL: 2, lambdaD: 0.5 });
  });

  it('what the rates cost: 3,130-byte packets and one 362 + 8,961-byte fetch a second (docs/client.md: 978 MB and 774 MB a day)', () => {
    const sizes = trafficSizes(PRODUCTION_GEOMETRY);
    assert.deepEqual(sizes, { packetBytes: 3130, fetchRequestBytes: 362, fetchReplyBytes: 8961 });
    const day = dailyBytes({ lambdaP: 2, lambdaL: 1, lambdaD: 0.5 }, 1, sizes);
    assert.deepEqual(day, { sentPerDay: 977_788_800, receivedPerDay: 774_230_400 });
    assert.equal(dailyBytes({ lambdaP: 4, lambdaL: 1, lambdaD: 0.5 }, 1, sizes).sentPerDay - day.sentPerDay, 2 * 3130 * 86_400, 'each extra packet a second is 270 MB a day');
  });
});
