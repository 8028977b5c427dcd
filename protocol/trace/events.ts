// Traces of a real network for the simulator's attacks (docs/simulator.md
// §Trace mode): what a global passive observer and corrupt gateways would
// see, written by the testnet's gateways, and the ground truth of who wrote
// to whom, written by its clients. One JSON object per line; users are
// named by their mailbox id (hex), which both sides know.
//
//   {"t":ms,"ev":"send","user":U}                      a packet left U's client (the link to its gateway)
//   {"t":ms,"ev":"fetch","user":U}                     U's client pulled its mailbox
//   {"t":ms,"ev":"deposit","user":U,"kind":K}          a packet was stored in U's mailbox (K: "message" or "surb-reply")
//   {"t":ms,"ev":"message","from":U,"to":V,"id":I,"fragments":n}   truth: U sent message I to V
//
// A trace is exactly what an adversary wants: it is for test networks and
// research only (docs/threat-model.md), never for a production relay.

export type TraceEvent =
  | { t: number; ev: 'send'; user: string }
  | { t: number; ev: 'fetch'; user: string }
  | { t: number; ev: 'deposit'; user: string; kind: 'message' | 'surb-reply' }
  | { t: number; ev: 'message'; from: string; to: string; id: string; fragments: number };

export class TraceFormatError extends Error {
  constructor(message: string) {
    super(`trace: ${message}`);
    this.name = 'TraceFormatError';
  }
}

const HEX = /^[0-9a-f]{1,128}$/;

function hex(v: unknown, what: string): string {
  if (typeof v !== 'string' || !HEX.test(v)) throw new TraceFormatError(`${what} must be lowercase hex`);
  return v;
}

export function encodeTraceEvent(e: TraceEvent): string {
  return JSON.stringify(e);
}

/** Parses one line; throws TraceFormatError naming what is wrong. */
export function decodeTraceEvent(line: string): TraceEvent {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new TraceFormatError('not JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TraceFormatError('not an object');
  const t = v.t;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new TraceFormatError('t must be a time in ms');
  switch (v.ev) {
    case 'send':
    case 'fetch':
      return { t, ev: v.ev, user: hex(v.user, 'user') };
    case 'deposit':
      if (v.kind !== 'message' && v.kind !== 'surb-reply') throw new TraceFormatError('kind must be "message" or "surb-reply"');
      return { t, ev: 'deposit', user: hex(v.user, 'user'), kind: v.kind };
    case 'message': {
      const fragments = v.fragments;
      if (typeof fragments !== 'number' || !Number.isInteger(fragments) || fragments < 1) throw new TraceFormatError('fragments must be a whole number ≥ 1');
      return { t, ev: 'message', from: hex(v.from, 'from'), to: hex(v.to, 'to'), id: hex(v.id, 'id'), fragments };
    }
    default:
      throw new TraceFormatError(`unknown event ${JSON.stringify(v.ev)}`);
  }
}
