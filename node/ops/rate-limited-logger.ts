// A node's logs must not be a hostile peer's amplifier: every refusal and
// drop is logged with its reason (docs/operators.md §Logs), and a peer that
// sends a million bad frames must not write a million lines. This wraps the
// node's Logger (the composition root hands the wrapped one to every
// service, node/daemon.ts): lines that share a level, component, message and
// `reason` field (a "kind" of line) pass up to `perWindow` times per window;
// the rest of the window is counted, and the first line of that kind in a
// later window carries `suppressed: N` (how many were held back before it).
// The counters (chaff_*_total{reason}) keep every event; this bounds only
// the text. Memory is bounded too: at most `maxKinds` kinds are tracked per
// window, further kinds share one budget.

import type { Clock } from '../../protocol/traffic/clock.js';
import type { LogFields, Logger, LogLevel } from '../../runtime/log/logger.js';

export interface RateLimitInit {
  /** Lines of one kind let through per window. Default 20. */
  perWindow?: number;
  /** Window length. Default 60 s. */
  windowMs?: number;
  /** Kinds tracked per window before they share one budget. Default 1000. */
  maxKinds?: number;
}

interface Budget {
  used: number;
  suppressed: number;
}

/** State shared by a logger and all its children. */
class Limiter {
  readonly #clock: Clock;
  readonly #perWindow: number;
  readonly #windowMs: number;
  readonly #maxKinds: number;
  #windowStart = -Infinity;
  #budgets = new Map<string, Budget>();
  /** Lines held back in past windows, by kind, not yet reported. */
  #carried = new Map<string, number>();

  constructor(clock: Clock, init: RateLimitInit) {
    this.#clock = clock;
    this.#perWindow = init.perWindow ?? 20;
    this.#windowMs = init.windowMs ?? 60_000;
    this.#maxKinds = init.maxKinds ?? 1000;
  }

  /** null: suppress this line; else the number of lines of its kind suppressed before it (0 usually). */
  admit(kind: string): number | null {
    const now = this.#clock.now();
    if (now - this.#windowStart >= this.#windowMs) {
      for (const [k, b] of this.#budgets) if (b.suppressed > 0 && this.#carried.size < this.#maxKinds) this.#carried.set(k, (this.#carried.get(k) ?? 0) + b.suppressed);
      this.#budgets = new Map();
      this.#windowStart = now;
    }
    const key = this.#budgets.has(kind) || this.#budgets.size < this.#maxKinds ? kind : '(other kinds)';
    let budget = this.#budgets.get(key);
    if (budget === undefined) {
      budget = { used: 0, suppressed: 0 };
      this.#budgets.set(key, budget);
    }
    if (budget.used >= this.#perWindow) {
      budget.suppressed++;
      return null;
    }
    budget.used++;
    const carried = this.#carried.get(key) ?? 0;
    this.#carried.delete(key);
    return carried;
  }
}

/** `inner` with its lines rate-limited per kind (level, component, message, reason). */
export function rateLimitedLogger(inner: Logger, clock: Clock, init: RateLimitInit = {}): Logger {
  return wrap(inner, '', new Limiter(clock, init));
}

function wrap(inner: Logger, component: string, limiter: Limiter): Logger {
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      const reason = fields?.reason;
      const suppressed = limiter.admit(`${level}\0${component}\0${msg}\0${typeof reason === 'string' ? reason : ''}`);
      if (suppressed === null) return;
      inner[level](msg, suppressed > 0 ? { ...fields, suppressed } : fields);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (c) => wrap(inner.child(c), `${component}/${c}`, limiter),
  };
}
