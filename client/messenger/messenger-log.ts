// How the messenger's parts log: the daemon passes its logger's methods.
// Logs are plain text on disk, so no name, text or address goes in them
// (docs/client-storage.md).

export type MessengerLog = (level: 'debug' | 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
