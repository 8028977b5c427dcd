// Attack (issue 9 §4): a client's gateway counts the SURB-ACKs it stores for
// the client. Real packets and loops are acknowledged; if empty payload
// slots sent unacknowledged drop cover, the ACKs would be λL·t + the real
// packets, and the gateway would see when its client sends and how much.
// With decoys in the empty slots (docs/traffic.md §What the ACKs show) the
// ACKs arrive at λP + λL whatever the client does.
//
// Real components, in this process: the testnet's relays on 127.0.0.1
// (gateways in trace mode, recording every deposit by mailbox as a corrupt
// gateway sees them) and two real client daemons; alice sends bob a
// 100-fragment file in the second window.

import assert from 'node:assert/strict';
import type { TraceEvent } from '../../protocol/trace/events.js';
import { useInProcessChat } from '../helpers/in-process-chat.js';
import { FAST_CHAT_SHAPE, poissonBounds, sleep } from '../helpers/chat.js';

/** λP 10/s: a 100-fragment file fills the payload slots of most of a 10 s window. */
const SHAPE = { ...FAST_CHAT_SHAPE, lambdaP: 10 };
const WINDOW_MS = 10_000;
/** Bytes of file content that make exactly 100 fragments (1574 bytes of content per fragment in the production geometry). */
const FILE_BYTES = 99 * 1574 + 1000;

function count(events: TraceEvent[], f: (e: TraceEvent) => boolean, fromMs: number, toMs: number): number {
  return events.filter((e) => e.t >= fromMs && e.t < toMs && f(e)).length;
}

describe("a client's gateway counts the SURB-ACKs it stores for the client to learn when, and how much, the client sends", function () {
  this.timeout(180_000);
  const chat = useInProcessChat(SHAPE, 200);

  it('stores as many SURB replies for alice while she is idle as while she sends a 100-fragment file: λP + λL per second, Poisson', async function () {
    const c = chat();
    await sleep(2000); // the streams settle

    const idleFrom = Date.now();
    await sleep(WINDOW_MS);
    const idleTo = Date.now();

    const s0 = await c.alice.api.status();
    const sendingFrom = Date.now();
    const { message } = await c.alice.api.sendFile('bob', 'photo.bin', Buffer.alloc(FILE_BYTES, 0x5a).toString('base64'));
    assert.equal(message.fragments, 100);
    await sleep(Math.max(0, sendingFrom + WINDOW_MS - Date.now()));
    const sendingTo = Date.now();
    const s1 = await c.alice.api.status();
    await sleep(1500); // the gateway's trace is flushed every second

    const trace = c.traceOf(c.alice.gateway);
    const acks = (e: TraceEvent) => e.ev === 'deposit' && e.kind === 'surb-reply' && e.user === c.alice.user;
    const sends = (e: TraceEvent) => e.ev === 'send' && e.user === c.alice.user;
    const idle = count(trace, acks, idleFrom, idleTo);
    const sending = count(trace, acks, sendingFrom, sendingTo);
    const real = s1.traffic.packetsSent.real - s0.traffic.packetsSent.real;
    const rate = SHAPE.lambdaP + SHAPE.lambdaL!;
    const report = `SURB replies for alice: idle ${idle} in ${idleTo - idleFrom} ms, sending ${sending} in ${sendingTo - sendingFrom} ms (${real} real packets; packets from her: ${count(trace, sends, idleFrom, idleTo)}, ${count(trace, sends, sendingFrom, sendingTo)})`;
    this.test!.title += ` [${report}]`;
    // Two Poisson counts over about equal windows: the difference has variance a + b.
    const sd = Math.sqrt(idle + sending);
    assert.ok(Math.abs(idle - sending) <= 4 * sd, `idle and sending more than 4σ (${(4 * sd).toFixed(0)}) apart: ${report}`);
    for (const [what, n, ms] of [
      ['idle', idle, idleTo - idleFrom],
      ['sending', sending, sendingTo - sendingFrom],
    ] as const) {
      const b = poissonBounds(rate, ms, 4);
      assert.ok(n >= b.low && n <= b.high, `${what}: ${n} SURB replies, expected λP + λL = ${rate}/s: ${b.mean.toFixed(0)} ± 4σ (${b.low.toFixed(0)}…${b.high.toFixed(0)}); ${report}`);
    }
    // The second window really was busy: most of the file left in it.
    assert.ok(real >= 60, `alice sent most of the file in the window: ${report}`);
  });
});
