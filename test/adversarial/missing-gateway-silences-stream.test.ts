// Attack (issue 9 §4): when a contact's gateway is not in the current
// document, a payload slot that picks a message to that contact cannot
// route it. If the slot then sent nothing, the client's stream would fall
// silent while such messages wait, and the link to its gateway (a global
// passive observer, or the gateway) would see the rate drop: a visible
// sign that this client is writing, and to someone whose gateway is gone.
// The payload stream must send a decoy instead; the message waits (shown
// in status) until its gateway is back.
//
// Real components, in this process: the testnet's relays on 127.0.0.1
// (gateways in trace mode, recording every packet that arrives from a
// client's link) and a real client daemon, alice, who writes to carol,
// whose address names a gateway no document lists.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { addressOf, encodeAddress } from '../../protocol/e2ee/address.js';
import { generateIdentity } from '../../protocol/e2ee/identity.js';
import type { TraceEvent } from '../../protocol/trace/events.js';
import { useInProcessChat } from '../helpers/in-process-chat.js';
import { FAST_CHAT_SHAPE, poissonBounds, sleep } from '../helpers/chat.js';

const SHAPE = { ...FAST_CHAT_SHAPE, lambdaP: 10 };
const WINDOW_MS = 10_000;
/** Bytes of file content that make 300 fragments: more than the λP slots of the window, so every payload slot finds one. */
const FILE_BYTES = 299 * 1574 + 1000;

describe("messages to a contact whose gateway is missing from the document silence the sender's payload stream", function () {
  this.timeout(180_000);
  const chat = useInProcessChat(SHAPE, 200);

  it("alice's packets reach her gateway at the same rate idle and while 300 fragments to carol (gateway not in the document) wait; status shows them waiting", async function () {
    const c = chat();
    // carol: a well-formed address whose gateway no document lists.
    const carol = encodeAddress(addressOf(generateIdentity(), randomBytes(32), randomBytes(32)));
    await c.alice.api.addContact('carol', carol);
    await sleep(2000);

    const idleFrom = Date.now();
    await sleep(WINDOW_MS);
    const idleTo = Date.now();
    const before = await c.alice.api.status();
    const { message } = await c.alice.api.sendFile('carol', 'notes.bin', Buffer.alloc(FILE_BYTES, 0x33).toString('base64'));
    assert.equal(message.fragments, 300);
    const from = Date.now();
    await sleep(WINDOW_MS);
    const to = Date.now();
    const status = await c.alice.api.status();
    await sleep(1500); // the gateway's trace is flushed every second

    const trace = c.traceOf(c.alice.gateway);
    const sends = (a: number, b: number) => trace.filter((e: TraceEvent) => e.ev === 'send' && e.user === c.alice.user && e.t >= a && e.t < b).length;
    const idle = sends(idleFrom, idleTo);
    const waiting = sends(from, to);
    const rate = SHAPE.lambdaP + SHAPE.lambdaL! + SHAPE.lambdaD!;
    const b = poissonBounds(rate, to - from, 4);
    const report = `packets from alice: idle ${idle} in ${idleTo - idleFrom} ms, with carol's waiting ${waiting} in ${to - from} ms; expected ${b.mean.toFixed(0)} ± 4σ (${b.low.toFixed(0)}…${b.high.toFixed(0)}); queue ${JSON.stringify(status.queue)}; sent ${JSON.stringify(status.traffic.packetsSent)}`;
    this.test!.title += ` [${report}]`;
    const sd = Math.sqrt(idle + waiting);
    assert.ok(Math.abs(idle - waiting) <= 4 * sd, `alice's stream changed rate while messages to carol waited (more than 4σ = ${(4 * sd).toFixed(0)}): ${report}`);
    assert.ok(waiting >= b.low && waiting <= b.high, `alice's stream is not at λP + λL + λD while messages to carol wait: ${report}`);
    // The file's 300 fragments and the contact card alice queued for carol when she added her, unsealed.
    assert.equal(status.queue.waitingForGateway, 301, `status shows the fragments waiting for carol's gateway: ${report}`);
    assert.equal(status.traffic.packetsSent.real - before.traffic.packetsSent.real, 0, `nothing was sent towards a gateway that is not in the document: ${report}`);
    // Messages to bob (whose gateway is there) still go: the waiting ones block nobody.
    const { message: toBob } = await c.alice.api.sendText('bob', 'still here');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const h = await c.alice.api.history('bob', 10);
      if (h.some((m) => m.id === toBob.id && m.state === 'delivered')) break;
      assert.ok(Date.now() < deadline, `the message to bob was not delivered while carol's waited: ${JSON.stringify(h.find((m) => m.id === toBob.id))}`);
      await sleep(200);
    }
  });
});
