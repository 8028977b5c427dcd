// The mix role on a libp2p host: packets arrive on the packet link, go
// through the MixProcessor (unwrap, replay check, delay) and leave on the
// packet link to the next hop named by the topology document. The mix also
// sends its own loop cover at rate λM (Loopix §4.4): loops cross the later
// layers, a gateway and the earlier layers and come back, so a mix that stops
// seeing its loops return knows the network is dropping or delaying packets.
// A Startable built from its components (the host's protocol and dial
// methods, a Clock, a Logger, the node's keys, replay cache and topology)
// and its init options. With `workers` ≥ 1, Sphinx unwrapping runs on that
// many worker threads (node/mix/unwrap-pool.ts) while this event loop keeps
// the links, the replay cache and the delay queue.

import { concatBytes, ctEqual } from '../../protocol/bytes.js';
import { sha256 } from '../../protocol/crypto/hash.js';
import { delay, newPacket, recipient, type Geometry, type PathHop } from '../../protocol/sphinx/index.js';
import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import { PoissonSchedule, sampleHopDelaysMs } from '../../protocol/traffic/exponential.js';
import { cryptoUniform, type Uniform } from '../../protocol/crypto/random.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { DialHost, ProtocolHost } from '../../runtime/net/host.js';
import { PacketLink } from '../net/packet-link.js';
import { TopologyRouter, type TopologyView } from '../net/topology-router.js';
import type { Logger } from '../../runtime/log/logger.js';
import { hopDelayBoundMs } from './hop-delay-bound.js';
import { MixProcessor, type EpochKey, type MixDeps, type MixLimits } from './mix-processor.js';
import { UnwrapPool } from './unwrap-pool.js';

/** What a mix uses: the host (its packet link), time, a logger, and the node's keys, replay cache and documents. */
export interface MixServiceComponents {
  host: ProtocolHost & DialHost;
  clock: Clock;
  logger: Logger;
  /** The node's Sphinx keys live at `nowMs` (the EpochKeyring). */
  keys(nowMs: number): EpochKey[];
  /** Records `tag` for `epoch`; false if already there (the ReplayCache). */
  checkReplay(epoch: number, tag: Uint8Array): Promise<boolean>;
  topology: TopologyView;
}

export interface MixServiceInit {
  geometry: Geometry;
  /** This node's Sphinx node id. */
  nodeId: Uint8Array;
  /** Mean per-hop delay rate μ (1/s) and loop rate λM (1/s, 0 for none), from the document. */
  traffic(): { mu: number; lambdaM: number } | null;
  limits: MixLimits & { linkQueue: number };
  uniform?: Uniform;
  /** Extra final-hop handling (a gateway's mailbox deposit); the mix's own loops are handled here. */
  onFinalHop?: MixDeps['onFinalHop'];
  /** Unwrap worker threads (config `[mix] workers`); 0 or absent: unwrap in the event loop. */
  workers?: number;
}

const LOOP_DOMAIN = new TextEncoder().encode('chaff-mix-loop-v1\0');

export class MixService implements Startable {
  readonly processor: MixProcessor;
  readonly link: PacketLink;
  /** The unwrap workers, when `workers` ≥ 1. */
  readonly unwrapPool: UnwrapPool | null;
  loopsSent = 0;
  loopsReturned = 0;
  loopsFailed = 0;
  readonly #c: MixServiceComponents;
  readonly #o: MixServiceInit;
  readonly #uniform: Uniform;
  readonly #loopId: Uint8Array;
  readonly #router: TopologyRouter;
  #loopTimer: TimerHandle | null = null;
  #stopped = false;

  constructor(components: MixServiceComponents, options: MixServiceInit) {
    this.#c = components;
    this.#o = options;
    const { clock, logger } = components;
    this.#uniform = options.uniform ?? cryptoUniform();
    // The recipient id of this mix's own loops: only it can recognise them.
    this.#loopId = sha256(concatBytes(LOOP_DOMAIN, options.nodeId));
    this.#router = new TopologyRouter(components.topology);
    const keys = () => components.keys(clock.now());
    this.unwrapPool = options.workers ? new UnwrapPool({ geometry: options.geometry, workers: options.workers, keys, logger }) : null;
    this.processor = new MixProcessor(
      {
        geometry: options.geometry,
        clock,
        keys,
        checkReplay: components.checkReplay,
        maxDelayMs: () => hopDelayBoundMs(components.topology),
        forward: (nodeId, packet) => this.#forward(nodeId, packet),
        onFinalHop: async (hop, origin) => {
          if (ctEqual(hop.recipient, this.#loopId)) {
            this.loopsReturned++;
            return true;
          }
          return (await options.onFinalHop?.(hop, origin)) ?? false;
        },
        onDrop: (reason) => logger.debug('packet dropped', { reason }),
        ...(this.unwrapPool ? { unwrapStage: this.unwrapPool } : {}),
      },
      options.limits,
    );
    this.link = new PacketLink(
      { host: components.host, logger: logger.child('packet-link'), clock },
      {
        packetLength: options.geometry.packetLength,
        queueCapacity: options.limits.linkQueue,
        onFrame: (frame) => void this.processor.accept(frame),
        acceptPeer: (peer) => this.#router.isKnownPeer(peer),
      },
    );
  }

  async start(): Promise<void> {
    // The workers first: a packet that arrives finds them loaded.
    await this.unwrapPool?.start();
    await this.link.start();
    this.#scheduleLoop(this.#c.clock.now());
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#loopTimer?.cancel();
    this.processor.stop();
    await this.link.stop();
    await this.unwrapPool?.stop();
  }

  #forward(nodeId: Uint8Array, packet: Uint8Array): 'sent' | 'unknown' | 'queue-full' {
    return this.#router.forward(this.link, nodeId, packet);
  }

  #scheduleLoop(fromMs: number): void {
    if (this.#stopped) return;
    const traffic = this.#o.traffic();
    if (!traffic || traffic.lambdaM <= 0) {
      // No document (or no mix loops) yet: look again in a second.
      this.#loopTimer = this.#c.clock.at(fromMs + 1000, () => this.#scheduleLoop(this.#c.clock.now()));
      return;
    }
    const at = new PoissonSchedule(traffic.lambdaM, this.#uniform).next(fromMs);
    this.#loopTimer = this.#c.clock.at(at, () => {
      this.#sendLoop(traffic.mu);
      this.#scheduleLoop(at);
    });
  }

  #sendLoop(mu: number): void {
    const now = this.#c.clock.now();
    const topology = this.#c.topology.current(now);
    if (!topology) return;
    try {
      const route = topology.mixLoopRoute(this.#o.nodeId, this.#uniform);
      const delays = sampleHopDelaysMs(1000 / mu, route.length, this.#uniform);
      const path: PathHop[] = route.map((e, i) => ({
        id: e.nodeId,
        publicKey: e.sphinxKeys.current,
        commands: i === route.length - 1 ? [recipient(this.#loopId)] : [delay(delays[i])],
      }));
      const packet = newPacket(this.#o.geometry, path, new Uint8Array(this.#o.geometry.forwardPayloadLength));
      if (this.#forward(route[0].nodeId, packet) === 'sent') this.loopsSent++;
      else this.loopsFailed++;
    } catch (err) {
      this.loopsFailed++;
      this.#c.logger.warn('mix loop not sent', { error: (err as Error).message });
    }
  }
}
