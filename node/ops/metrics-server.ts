// The operator's metrics endpoint as a Startable (docs/operators.md
// §Metrics): started last, so a scrape never sees a half-built node, and
// stopped first.

import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { Metrics } from './metrics.js';

export interface MetricsServerComponents {
  metrics: Metrics;
  logger: Logger;
}

export interface MetricsServerInit {
  /** host:port to serve GET /metrics on (port 0 picks a free one). */
  listen: string;
}

export class MetricsServer implements Startable {
  readonly #c: MetricsServerComponents;
  readonly #init: MetricsServerInit;
  #port: number | null = null;

  constructor(components: MetricsServerComponents, init: MetricsServerInit) {
    this.#c = components;
    this.#init = init;
  }

  /** The bound port once started, else null. */
  get port(): number | null {
    return this.#port;
  }

  async start(): Promise<void> {
    if (this.#port !== null) return;
    this.#port = await this.#c.metrics.listen(this.#init.listen);
    this.#c.logger.info('metrics served', { listen: this.#init.listen, port: this.#port });
  }

  async stop(): Promise<void> {
    if (this.#port === null) return;
    this.#port = null;
    await this.#c.metrics.close();
  }
}
