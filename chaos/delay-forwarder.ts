// The delay and jitter of chaos runs on a kernel without netem (docs/chaos.md
// §Delay): a TCP forwarder per node, in the root namespace on the node's
// dial address (10.231.1.<i>, chaos/netns.ts), that the node announces and
// everyone dials instead of the node itself. Every chunk read in either
// direction is written on after `delayMs` ± `jitterMs` (uniform), never
// before the chunk read before it in that direction: order is kept, as TCP
// keeps it, so jitter shows as a varying delay, not as reordering.
//
// Each connection between two processes passes exactly one forwarder (the
// listener's), so a round trip on a link takes 2 × delayMs more. What it
// does not do: delay a single IP packet (it works on what a read returns),
// or delay TCP's own handshake and acknowledgements (the kernel answers
// those on each side of the forwarder at once).

import { createServer, connect, type Server, type Socket } from 'node:net';

export interface DelaySpec {
  /** One-way delay added to each direction, ms. */
  delayMs: number;
  /** Uniform jitter: each chunk waits delayMs ± jitterMs. */
  jitterMs: number;
}

export interface Route {
  name: string;
  listen: { host: string; port: number };
  target: { host: string; port: number };
}

/**
 * One direction of one connection: a FIFO of chunks, each released at
 * max(its due time, the previous one's), by one timer at a time. (One timer
 * per chunk would not do: two timers due in the same millisecond may fire in
 * either order, and a swapped pair of chunks breaks the stream.)
 */
function delayedPipe(from: Socket, to: Socket, spec: DelaySpec, random: () => number): void {
  const queue: Array<{ due: number; chunk: Buffer }> = [];
  let lastDue = 0;
  let ended = false;
  let timer: NodeJS.Timeout | null = null;
  const pump = (): void => {
    timer = null;
    const now = Date.now();
    while (queue.length > 0 && queue[0].due <= now) {
      const { chunk } = queue.shift()!;
      if (!to.destroyed) to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(pump, queue[0].due - now);
    else if (ended && !to.destroyed) to.end();
  };
  from.on('data', (chunk: Buffer) => {
    const due = Math.max(lastDue, Date.now() + spec.delayMs + (2 * random() - 1) * spec.jitterMs);
    lastDue = due;
    queue.push({ due, chunk });
    if (timer === null) timer = setTimeout(pump, Math.max(0, queue[0].due - Date.now()));
  });
  from.on('end', () => {
    ended = true;
    if (timer === null) pump();
  });
}

export class DelayForwarder {
  readonly #servers: Server[] = [];
  readonly #sockets = new Set<Socket>();
  /** Connections forwarded so far, per route. */
  readonly connections = new Map<string, number>();

  constructor(
    readonly spec: DelaySpec,
    readonly random: () => number = Math.random,
  ) {}

  /** Listens on every route's address; resolves once all listen. */
  async start(routes: Route[]): Promise<void> {
    for (const r of routes) {
      const server = createServer({ noDelay: true, allowHalfOpen: true }, (inbound) => this.#accept(r, inbound));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(r.listen.port, r.listen.host, () => resolve());
      });
      this.#servers.push(server);
    }
  }

  #accept(r: Route, inbound: Socket): void {
    this.connections.set(r.name, (this.connections.get(r.name) ?? 0) + 1);
    const outbound = connect({ host: r.target.host, port: r.target.port, noDelay: true, allowHalfOpen: true });
    for (const s of [inbound, outbound]) {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      // A reset on one side resets the other, as the node would see it on a direct connection.
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    // Half-open on both sides: an RPC's caller ends its side after the request and reads the answer, so an
    // end is passed on (after the chunks still held), never turned into a close. A connection closes once both
    // directions have ended; a close then (or a reset) closes the other side too.
    const linger = this.spec.delayMs + this.spec.jitterMs + 50;
    inbound.on('close', () => setTimeout(() => outbound.destroy(), linger));
    outbound.on('close', () => setTimeout(() => inbound.destroy(), linger));
    delayedPipe(inbound, outbound, this.spec, this.random);
    delayedPipe(outbound, inbound, this.spec, this.random);
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
