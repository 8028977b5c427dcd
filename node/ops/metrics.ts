// Prometheus metrics (prom-client) for operators, served on a local port
// (docs/operators.md §Metrics). Components keep plain counters; the registry
// reads them when scraped, so the data path never waits on metrics.

import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { DropSource } from './drop-report.js';

export interface CounterOptions {
  /**
   * For a counter of outcomes (label "outcome"): the outcomes that are not a
   * refusal ("served", "accepted"). Its other outcomes are refusal reasons,
   * reported with the drops (refusals()).
   */
  successes?: readonly string[];
}

export class Metrics {
  readonly registry = new Registry();
  #server: Server | null = null;
  readonly #refusals: DropSource[] = [];

  /** A gauge read from `read()` at scrape time; null exports no sample (nothing to measure, e.g. no document in force). */
  gauge(name: string, help: string, read: () => number | null | Record<string, number>, label = 'reason'): void {
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        const value = read();
        if (typeof value === 'number') this.set(value);
        else if (value === null) this.reset();
        else {
          // Only the labels read now: a label gone since (a pruned epoch) must not keep its last value.
          this.reset();
          for (const [k, v] of Object.entries(value)) this.set({ [label]: k }, v);
        }
      },
    });
  }

  /**
   * A counter that follows a monotonic total kept elsewhere (by label). By
   * convention a counter labelled "reason" counts drops or refusals by
   * their reason; with `successes`, so does a counter labelled "outcome".
   */
  counter(name: string, help: string, read: () => number | Record<string, number>, label = 'reason', options: CounterOptions = {}): void {
    const successes = options.successes;
    if (label === 'reason' || successes !== undefined) {
      this.#refusals.push({
        name: name.replace(/^chaff_/, '').replace(/_total$/, ''),
        read: () => {
          const value = read();
          if (typeof value === 'number') return null;
          return successes === undefined ? value : Object.fromEntries(Object.entries(value).filter(([k]) => !successes.includes(k)));
        },
      });
    }
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

  /** The counters of drops and refusals by reason, for the log's periodic report (drop-report.ts). */
  refusals(): readonly DropSource[] {
    return this.#refusals;
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
