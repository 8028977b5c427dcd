// How long a packet (and its SURB-ACK) should take to come back, from the
// mixing delays the sender chose for it (Loopix §4.4: the sender knows the
// delays, so it can tell when an ACK is overdue). Two uses:
//
//   expectedReturnMs   when a loop, or a decoy's ACK, should be in our
//                      mailbox (client/traffic/loop-monitor.ts counts it
//                      late or lost after that);
//   retransmitTimeoutMs when a real fragment whose ACK has not come back is
//                      sent again (client/sender/arq.ts).

/** Per-hop processing allowance added to the chosen delays (unwrap, queues, links), ms. */
export const PER_HOP_ALLOWANCE_MS = 100;

/** A retransmission waits at most this many times the first timeout. */
export const MAX_BACKOFF_FACTOR = 4;

export interface ReturnEstimate {
  /** Mix layers in the document: a route crosses them plus two gateways. */
  layers: number;
  /** The client's mailbox pull period: an entry can wait up to one period, and a fetch takes about one more. */
  fetchIntervalMs: number;
}

/** When a packet that left at `sentMs` with mixing delays summing to `delaysMs` should be back in our mailbox. */
export function expectedReturnMs(sentMs: number, delaysMs: number, e: ReturnEstimate): number {
  return sentMs + delaysMs + (e.layers + 2) * PER_HOP_ALLOWANCE_MS + 2 * e.fetchIntervalMs;
}

export interface RetransmitEstimate extends ReturnEstimate {
  /** The delays chosen for the packet, then for its ACK, ms. */
  forwardDelayMs: number;
  ackDelayMs: number;
  /** The user's slack on top of the estimate (client.toml retransmit_slack). */
  slackMs: number;
  /** Which transmission this is: 1 for the first. */
  attempt: number;
}

/**
 * How long after a real fragment left its ACK counts as lost: the chosen
 * delays both ways, the per-hop allowance on both routes (the packet's
 * layers + 2 gateways, the ACK's the same), two fetch periods and the slack;
 * each retransmission waits half as long again as the first, up to
 * MAX_BACKOFF_FACTOR times (a congested path gets time to drain instead of
 * more copies).
 */
export function retransmitTimeoutMs(e: RetransmitEstimate): number {
  const hops = e.layers + 2;
  const roundTrip = e.forwardDelayMs + e.ackDelayMs + 2 * hops * PER_HOP_ALLOWANCE_MS + 2 * e.fetchIntervalMs + e.slackMs;
  return roundTrip * Math.min(MAX_BACKOFF_FACTOR, 1 + 0.5 * (e.attempt - 1));
}
