// Reading a simulator TOML table with errors that name the key (dotted for
// a nested table, e.g. graph.users), the bad value and what is allowed
// (docs/simulator.md lists every key). Unknown keys are errors too, so a
// typo is never silently ignored.

export class SimConfigError extends Error {
  readonly key: string;
  constructor(key: string, value: unknown, allowed: string) {
    // JSON would show inf and nan (valid TOML floats) as null.
    const shown = typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
    super(`sim config: ${key} = ${shown} is not allowed; ${allowed}`);
    this.name = 'SimConfigError';
    this.key = key;
  }
}

export type ConfigTable = Record<string, unknown>;

function isTable(v: unknown): v is ConfigTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export class ConfigReader {
  readonly table: ConfigTable;
  /** "" at the top level, "graph." inside [graph]. */
  readonly prefix: string;

  constructor(table: ConfigTable, prefix = '') {
    this.table = table;
    this.prefix = prefix;
  }

  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** Refuses any key not in `allowed`; `what` says for what (e.g. 'model "loopix"'). */
  only(allowed: readonly string[], what: string): void {
    for (const k of Object.keys(this.table)) {
      if (!allowed.includes(k)) throw new SimConfigError(this.key(k), this.table[k], `unknown key for ${what}; allowed keys: ${allowed.join(', ')}`);
    }
  }

  integer(name: string, fallback: number | undefined, min: number, max: number): number {
    const value = this.table[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new SimConfigError(this.key(name), value, `expected a whole number from ${min} to ${max}`);
    }
    return value;
  }

  /** A finite number in [min, max] (or (min, max] when `above` is set: strictly above min). */
  number(name: string, fallback: number | undefined, min: number, max: number, options: { above?: boolean; unit?: string } = {}): number {
    const value = this.table[name] ?? fallback;
    const ok = typeof value === 'number' && Number.isFinite(value) && (options.above ? value > min : value >= min) && value <= max;
    if (!ok) {
      const unit = options.unit ? ` (${options.unit})` : '';
      throw new SimConfigError(this.key(name), value, `expected a number ${options.above ? 'above' : 'from'} ${min} ${options.above ? 'and at most' : 'to'} ${max}${unit}`);
    }
    return value as number;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.table[name] ?? fallback;
    if (typeof value !== 'boolean') throw new SimConfigError(this.key(name), value, 'expected true or false');
    return value;
  }

  oneOf<T extends string>(name: string, fallback: T | undefined, options: readonly T[]): T {
    const value = this.table[name] ?? fallback;
    if (!options.includes(value as T)) throw new SimConfigError(this.key(name), value, `allowed: ${options.map((o) => `"${o}"`).join(', ')}`);
    return value as T;
  }

  string(name: string, fallback?: string): string {
    const value = this.table[name] ?? fallback;
    if (typeof value !== 'string' || value.trim() === '') throw new SimConfigError(this.key(name), value, 'expected a non-empty string');
    return value;
  }

  /** A non-empty list of distinct values, each one of `options`. */
  subset<T extends string>(name: string, fallback: readonly T[], options: readonly T[]): T[] {
    const value = this.table[name] ?? fallback;
    const ok = Array.isArray(value) && value.length > 0 && value.every((v, i) => options.includes(v as T) && value.indexOf(v) === i);
    if (!ok) throw new SimConfigError(this.key(name), value, `expected a non-empty list of distinct values from ${options.map((o) => `"${o}"`).join(', ')}`);
    return [...(value as T[])];
  }

  /** A list of whole numbers, each in [min, max], with at least `minLength` entries. */
  integers(name: string, fallback: readonly number[] | undefined, min: number, max: number, minLength = 1): number[] {
    const value = this.table[name] ?? fallback;
    const ok = Array.isArray(value) && value.length >= minLength && value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max);
    if (!ok) throw new SimConfigError(this.key(name), value, `expected a list of at least ${minLength} whole numbers from ${min} to ${max}`);
    return [...(value as number[])];
  }

  /** A sub-table (an empty one when absent). */
  sub(name: string): ConfigReader {
    const value = this.table[name];
    if (value === undefined) return new ConfigReader({}, `${this.key(name)}.`);
    if (!isTable(value)) throw new SimConfigError(this.key(name), value, `expected a table ([${this.key(name)}])`);
    return new ConfigReader(value, `${this.key(name)}.`);
  }
}
