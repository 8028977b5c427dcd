// The one logger of Chaff's processes (nodes, client daemon, CLI): structured
// logs, one JSON object per line ({"t": ISO time, "level", "component", "msg",
// ...fields}), by default on stderr. Services take a Logger as a component
// and name themselves with child(). Keys and client identities are never
// passed to it at info level or above (docs/operators.md §Logs).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** The same sink and level, for the sub-component `component` ("parent/component"). */
  child(component: string): Logger;
}

export function createLogger(level: LogLevel, component: string, write: (line: string) => void = (l) => void process.stderr.write(l)): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[lvl] < min) return;
    write(`${JSON.stringify({ t: new Date().toISOString(), level: lvl, component, msg, ...fields })}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (c) => createLogger(level, `${component}/${c}`, write),
  };
}

/** A logger that drops everything (components whose caller does not care). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** One record a memoryLogger kept. */
export interface LogRecord {
  level: LogLevel;
  component: string;
  msg: string;
  fields: LogFields;
}

/** A logger that keeps every record in `records` (for tests). */
export function memoryLogger(component = 'test', records: LogRecord[] = []): Logger & { records: LogRecord[] } {
  const at =
    (level: LogLevel) =>
    (msg: string, fields: LogFields = {}) =>
      void records.push({ level, component, msg, fields });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (c) => memoryLogger(`${component}/${c}`, records), records };
}
