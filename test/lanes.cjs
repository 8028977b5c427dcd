// The two lanes `npm test` runs side by side (docs/testing.md), one mocha
// process each, serial within a lane:
//
//   network  the tests that run whole networks on the wall clock: real
//            processes on 127.0.0.1 (test/integration, the `-live` and
//            beside-testnet adversarial tests) and in-process networks that
//            measure Poisson rates over real seconds. They mostly wait on
//            epochs and streams, leaving a core idle.
//   units    everything else: CPU-bound, in virtual or manual time.
//
// Why lanes and not mocha's --parallel: the parallel mode hands files to
// whichever worker is free, so two process networks (13 processes each)
// could start at once and miss their epochs on 2 cores. A lane keeps at most
// one network running, beside the unit tests.
//
// A file that starts processes or a network on the wall clock belongs in
// NETWORK_LANE; a listed file missing from the tree is an error, so the list
// cannot silently rot.

const { existsSync, readdirSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');

/** Longest first, so the lane's order is its timeline. */
const NETWORK_LANE = [
  'test/integration/chat.test.ts',
  'test/integration/testnet-resume.test.ts',
  'test/integration/testnet.test.ts',
  'test/integration/epoch-change.test.ts',
  // The short chaos scenario (chaos/scenarios/mix-down.ts): a mix down for two 10 s epochs under chat, about 65 s.
  'test/integration/chaos-mix-down.test.ts',
  'test/adversarial/family-on-one-path-live.test.ts',
  'test/adversarial/unadmitted-mix-beside-testnet.test.ts',
  // A client daemon started while its gateway and the authorities are away, then reconnecting (29 s at load 7, 100 s at 12).
  'test/client/daemon/offline-network.test.ts',
  'test/integration/gateway-crash.test.ts',
  'test/adversarial/missing-gateway-silences-stream.test.ts',
  'test/adversarial/gateway-counts-acks.test.ts',
  // Wall-clock epochs of a few seconds over real libp2p: beside the CPU-bound
  // lane, uploads missed their epoch (a two-lane CI run, 3 s epochs).
  'test/node/authority/authority-service.test.ts',
  'test/adversarial/single-authority-admits-node.test.ts',
  'test/adversarial/outsider-descriptors-enter-document.test.ts',
  'test/web/web-app.test.ts',
  // The first run in headless Chromium: an in-process network, initProfile and a spawned client daemon.
  'test/web/first-run.test.ts',
  // Three client daemons in a group on an in-process network (about 40 s alone).
  'test/integration/groups-on-network.test.ts',
  // test/web/web-app-screens.test.ts (a headless Chromium, no network: real messengers, envelopes handed
  // over) runs in the unit lane, which ends minutes before this one.
];

for (const f of NETWORK_LANE) if (!existsSync(join(ROOT, f))) throw new Error(`test/lanes.cjs lists ${f}, which does not exist`);

function testFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.ts')) out.push(relative(ROOT, path));
  }
  return out.sort();
}

// test/setup/chaff-bundle.ts: spawned `chaff` processes run from a bundle built when mocha starts.
const BASE = { import: 'tsx', require: ['test/setup/chaff-bundle.ts'], timeout: 20000, reporter: 'spec' };

module.exports = {
  network: { ...BASE, spec: NETWORK_LANE },
  units: { ...BASE, spec: testFiles(join(ROOT, 'test')).filter((f) => !NETWORK_LANE.includes(f)) },
};
