// Prometheus metrics (prom-client) for operators, served on a local port
// (docs/operators.md §Metrics). Components keep plain counters; the registry
// reads them when scraped, so the data path never waits on metrics.

import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  #server: Server | null = null;

  /** A gauge read from `read()` at scrape time. */
  gauge(name: string, help: string, read: () => number | Record<string, number>, label = 'reason'): void {
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        const value = read();
        if (typeof value === 'number') this.set(value);
        else {
          // Only the labels read now: a label gone since (a pruned epoch) must not keep its last value.
          this.reset();
          for (const [k, v] of Object.entries(value)) this.set({ [label]: k }, v);
        }
      },
    });
  }

  /** A counter that follows a monotonic total kept elsewhere (by label). */
  counter(name: string, help: string, read: () => number | Record<string, number>, label = 'reason'): void {
    const seen = new Map<string, number>();
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        const value = read();
        const entries: Array<[string, number]> = typeof value === 'number' ? [['', value]] : Object.entries(value);
        for (const [k, total] of entries) {
          const delta = total - (seen.get(k) ?? 0);
          if (delta > 0) {
            if (k === '') this.inc(delta);
            else this.inc({ [label]: k }, delta);
            seen.set(k, total);
          }
        }
      },
    });
  }

  /** Serves GET /metrics on host:port; resolves with the bound port. */
  async listen(hostPort: string): Promise<number> {
    const i = hostPort.lastIndexOf(':');
    const host = hostPort.slice(0, i);
    const port = Number(hostPort.slice(i + 1));
    this.#server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404).end('not found\n');
        return;
      }
      this.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text))
        .catch(() => res.writeHead(500).end('metrics failed\n'));
    });
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(port, host, () => resolve());
    });
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  async close(): Promise<void> {
    if (!this.#server) return;
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
    this.#server = null;
  }
}
