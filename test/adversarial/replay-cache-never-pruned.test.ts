// Attack (issue 9 §2): honest traffic alone grows a relay's replay cache
// without bound. Each packet a relay unwraps leaves a 32-byte replay tag,
// namespaced by the epoch of the key that unwrapped it; on main nothing
// pruned them (the cache was opened without a live-from bound), so every
// epoch's tags stayed in memory and on disk forever and were all reloaded
// at start: at 1,000 packets/s, gigabytes a day. A tag is only needed while
// its epoch's key can still unwrap packets; once that key's grace window
// (epoch end + key_grace) has passed its tags must go, from memory and disk,
// and a restart must not bring them back (docs/storage.md §Replay cache).
//
// Real components: three authorities, a mix and a gateway run by the
// daemon's runNode on 127.0.0.1 with real LevelDB folders, 2-second epochs
// (key_grace 0.5 s); the traffic is the mix's own loop cover (λM = 20/s,
// mix → gateway → mix), so both relays record tags every epoch.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Database, Namespace, u64 } from '../../node/store/database.js';
import { epochEnd } from '../../protocol/pki/epoch.js';
import { InProcessNetwork } from '../helpers/in-process-network.js';
import { parseMetric, sleep } from '../helpers/network.js';

const EPOCH_MS = 2000;
const GRACE_MS = EPOCH_MS / 4; // testnet/plan.ts
const RELAYS = ['mix-1', 'gateway-a'];

/** Replay tags of `epoch` stored in a relay's replay folder (read with the node stopped). */
async function tagsOnDisk(folder: string, epoch: number): Promise<number> {
  const prefix = (e: number) => Uint8Array.from([Namespace.replay, ...u64(e)]);
  const database = await Database.open(folder, 'replay-cache');
  try {
    let n = 0;
    for await (const _ of database.db.keys({ gte: prefix(epoch), lt: prefix(epoch + 1) })) n++;
    return n;
  } finally {
    await database.close();
  }
}

describe('honest traffic grows a relay’s replay cache forever (no epoch is ever pruned)', function () {
  this.timeout(60_000);
  let net: InProcessNetwork | undefined;

  after(async function () {
    await net?.stop();
  });

  const tags = async (name: string, epoch: number) => parseMetric(await net!.metricsText(name), 'chaff_replay_cache_tags', String(epoch)) ?? 0;

  it('drops an epoch’s tags from memory and disk once its key’s grace window has passed, and a restart does not reload them', async function () {
    net = await InProcessNetwork.start({ authorities: 3, layers: 1, mixesPerLayer: 1, gateways: 1, epochDurationMs: EPOCH_MS, mu: 50, lambdaM: 20 });
    // An epoch in which both relays recorded tags.
    const epoch = await waitFor(15_000, async () => {
      const e = net!.epochNow();
      for (const r of RELAYS) if ((await tags(r, e)) === 0) return undefined;
      return e;
    });
    const recorded = Object.fromEntries(await Promise.all(RELAYS.map(async (r) => [r, await tags(r, epoch)] as const)));

    // Its key's grace window ends at epochEnd + key_grace; a little after, its tags must be gone.
    await sleep(epochEnd(epoch, net.epochs) + GRACE_MS + 400 - Date.now());
    for (const r of RELAYS) {
      assert.equal(await tags(r, epoch), 0, `${r} still holds epoch ${epoch}'s tags in memory (it had ${recorded[r]}), ${(EPOCH_MS + GRACE_MS) / 1000} s after its key retired`);
    }

    // On disk too, and a restart on the same folders does not bring them back.
    for (const r of RELAYS) {
      await net.stopNode(r);
      const onDisk = await tagsOnDisk(join(net.node(r).dataDir, 'replay'), epoch);
      assert.equal(onDisk, 0, `${r} keeps epoch ${epoch}'s ${onDisk} tags on disk`);
      await net.startNode(r);
      assert.equal(await tags(r, epoch), 0, `${r} reloaded epoch ${epoch}'s tags at start`);
    }
    // And the relays still record (and prune) the live epochs after the restart.
    await waitFor(10_000, async () => {
      const e = net!.epochNow();
      for (const r of RELAYS) if ((await tags(r, e)) === 0) return undefined;
      return true;
    });
  });
});

async function waitFor<T>(ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms`);
    await sleep(200);
  }
}
