// Drain mode (docs/operators.md §Draining): before an upgrade or a move, a
// relay stops taking work, delivers what it holds, and stops. SIGUSR2 asks
// for it (cli/node.ts); node/daemon.ts composes it:
//
//   1. the DrainGate closes: the inbound protocols that bring new packets
//      (the packet link, a gateway's client send and registration) refuse
//      new streams and the open ones are closed; what a client fetches from
//      its mailbox is still served, and outbound links keep sending;
//   2. drainHeld waits until nothing is held (unwrap queue, delay queue,
//      outbound link queues): the delay queue empties on its own schedule,
//      each packet at its drawn time, so a drain never changes when a
//      packet leaves, or for longer than the deadline (the longest delay
//      a packet may carry, docs/sphinx.md §Delay bound, plus a margin);
//   3. the node stops as on SIGTERM (what is still held is counted as
//      dropped, reason shutdown); a gateway's mailboxes stay on disk.
//
// The gate wraps the host the services register their handlers on, so the
// services themselves need no drain code.

import type { Connection, Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface';
import type { Clock } from '../../protocol/traffic/clock.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { ProtocolHost } from '../../runtime/net/host.js';

/** Refuses new streams of the gated protocols once closed, and closes the open ones. */
export class DrainGate {
  readonly #gated: ReadonlySet<string>;
  readonly #open = new Set<Stream>();
  #closed = false;
  /** Streams refused since the gate closed, by protocol. */
  readonly refused: Record<string, number> = {};

  /** `protocols`: those that bring new work (packets, registrations). */
  constructor(protocols: Iterable<string>) {
    this.#gated = new Set(protocols);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** `host` whose handle() wraps the handlers of gated protocols; everything else is the host itself. */
  wrap<H extends ProtocolHost>(host: H): H {
    return new Proxy(host, {
      get: (target, property, receiver) => {
        if (property !== 'handle') {
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return (protocols: string | string[], handler: StreamHandler, options?: StreamHandlerOptions) => {
          const list = Array.isArray(protocols) ? protocols : [protocols];
          const gated = list.some((p) => this.#gated.has(p));
          return target.handle(protocols, gated ? (stream: Stream, connection: Connection) => this.#admit(stream, connection, handler) : handler, options);
        };
      },
    });
  }

  /** Refuses new streams from now on and closes the open ones (their peers redial and are refused). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of this.#open) stream.abort(new Error('node draining'));
    this.#open.clear();
  }

  #admit(stream: Stream, connection: Connection, handler: StreamHandler): void | Promise<void> {
    if (this.#closed) {
      this.refused[stream.protocol ?? 'unknown'] = (this.refused[stream.protocol ?? 'unknown'] ?? 0) + 1;
      stream.abort(new Error('node draining'));
      return;
    }
    this.#open.add(stream);
    stream.addEventListener('close', () => this.#open.delete(stream));
    return handler(stream, connection);
  }
}

export interface DrainComponents {
  clock: Clock;
  logger: Logger;
  /** What the node holds now, by queue; drained when every count is 0. */
  held(): Record<string, number>;
}

export interface DrainInit {
  /** Give up waiting after this long (what is left is then dropped by the stop). */
  deadlineMs: number;
  /** How often held() is read. Default 100 ms. */
  pollMs?: number;
}

/** Resolves once held() is all zeros (true) or the deadline passed (false); logs both. */
export function drainHeld(c: DrainComponents, init: DrainInit): Promise<boolean> {
  const started = c.clock.now();
  const deadline = started + init.deadlineMs;
  const pollMs = init.pollMs ?? 100;
  const total = (h: Record<string, number>) => Object.values(h).reduce((a, b) => a + b, 0);
  c.logger.info('draining: new packets refused, delivering what is held', { held: c.held(), deadlineSeconds: Math.ceil(init.deadlineMs / 1000) });
  return new Promise((resolve) => {
    const check = (): void => {
      const held = c.held();
      const now = c.clock.now();
      if (total(held) === 0) {
        c.logger.info('drained: everything held was delivered', { seconds: (now - started) / 1000 });
        resolve(true);
      } else if (now >= deadline) {
        c.logger.warn('drain deadline passed: stopping with packets still held (counted as dropped, reason shutdown)', { held });
        resolve(false);
      } else c.clock.at(Math.min(now + pollMs, deadline), check);
    };
    check();
  });
}
