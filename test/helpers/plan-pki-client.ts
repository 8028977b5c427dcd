// The PKI client through which the test networks (test/helpers/network.ts,
// processes; test/helpers/in-process-network.ts, one process) read a planned
// network's documents: on a dial-only host of its own, asking the plan's
// authorities on 127.0.0.1, verified as a node or client verifies them.

import { generateKeyPair } from '@libp2p/crypto/keys';
import { createHost, type Host } from '../../runtime/net/host.js';
import { authorityPeers } from '../../runtime/pki/authority-peers.js';
import { PkiClient } from '../../runtime/pki/pki-client.js';
import { dialHost, type TestnetPlan } from '../../testnet/plan.js';

export interface PlanPkiClient {
  /** Its host: the caller stops it with the network. */
  readonly host: Host;
  readonly pki: PkiClient;
}

/** A started PkiClient for the authorities of `plan`; each RPC gives up after `rpcTimeoutMs` (default 2 s). */
export async function startPlanPkiClient(plan: TestnetPlan, rpcTimeoutMs = 2000): Promise<PlanPkiClient> {
  const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [] });
  const authorities = plan.nodes.filter((n) => n.role === 'authority').map((a) => ({ name: a.name, identity: a.identityKey, addresses: [`/ip4/${dialHost(a)}/tcp/${a.port}`] }));
  const pki = new PkiClient({ host }, { authorities: authorityPeers(authorities), rpcTimeoutMs });
  try {
    await pki.start();
  } catch (err) {
    await host.stop();
    throw err;
  }
  return { host, pki };
}
