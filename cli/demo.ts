// `chaff demo` (npm start until the testnet exists): builds a Sphinx packet
// for a 5-hop path at the production geometry, unwraps it hop by hop as the
// nodes would, and prints sizes and timings.

import { randomBytes } from 'node:crypto';
import { toHex } from '../protocol/bytes.js';
import { blindingBackend, X25519PrivateKey } from '../protocol/crypto/x25519.js';
import { delay, PRODUCTION_GEOMETRY, recipient, Sphinx, type PathHop } from '../protocol/sphinx/index.js';

const NAMES = ['gateway A', 'mix layer 1', 'mix layer 2', 'mix layer 3', 'gateway B'];

function ms(start: bigint): string {
  return (Number(process.hrtime.bigint() - start) / 1e6).toFixed(3);
}

export async function runDemo(): Promise<number> {
  const sphinx = new Sphinx(PRODUCTION_GEOMETRY);
  const g = sphinx.geometry;
  const out = (line = ''): void => void process.stdout.write(`${line}\n`);

  out('Chaff Sphinx demo: one packet through a 5-hop path (entry gateway, 3 mix layers, exit gateway)');
  out(`geometry: X25519, ${g.nrHops} hops, packet ${g.packetLength} B = header ${g.headerLength} B + payload tag ${g.payloadTagLength} B + forward payload ${g.forwardPayloadLength} B`);
  out(`          user payload ${g.userForwardPayloadLength} B + room for a SURB-ACK (${g.surbLength} B); routing info ${g.nrHops} × ${g.perHopRoutingInfoLength} B`);
  out(`blinding backend: ${blindingBackend}`);
  out();

  const nodes = NAMES.map(() => ({ id: new Uint8Array(randomBytes(32)), key: X25519PrivateKey.generate() }));
  const recipientId = new Uint8Array(randomBytes(32));
  const path: PathHop[] = nodes.map((n, i) => ({
    id: n.id,
    publicKey: n.key.publicKey,
    commands: i === nodes.length - 1 ? [recipient(recipientId)] : [delay(Math.round(200 + Math.random() * 600))],
  }));
  const message = new TextEncoder().encode('Hello from alice: metadata stays with us.');
  const payload = new Uint8Array(g.forwardPayloadLength);
  payload.set(message);

  // Warm up (JIT) so the timings below are those of a running node.
  const WARMUP = 50;
  let t = process.hrtime.bigint();
  for (let n = 0; n < WARMUP; n++) {
    let r = sphinx.unwrap(nodes[0].key, sphinx.newPacket(path, payload));
    for (let i = 1; r.kind === 'forward'; i++) r = sphinx.unwrap(nodes[i].key, r.packet);
  }
  const perPacketMs = Number(process.hrtime.bigint() - t) / 1e6 / WARMUP;
  out(`warm-up: ${WARMUP} packets built and routed through all ${g.nrHops} hops, ${perPacketMs.toFixed(2)} ms each`);

  t = process.hrtime.bigint();
  let packet: Uint8Array | null = sphinx.newPacket(path, payload);
  out(`created packet (${packet.length} B) in ${ms(t)} ms`);

  // Until a hop is the last one (it has no packet to send on).
  for (let i = 0; packet !== null; i++) {
    t = process.hrtime.bigint();
    const r = sphinx.unwrap(nodes[i].key, packet);
    const took = ms(t);
    const what = r.commands
      .map((c) =>
        c.type === 'delay'
          ? `hold ${c.delayMs} ms`
          : c.type === 'next-hop'
            ? `forward to ${toHex(c.id).slice(0, 8)}…`
            : c.type === 'recipient'
              ? `deliver to mailbox ${toHex(c.id).slice(0, 8)}…`
              : c.type,
      )
      .join(', ');
    out(`hop ${i + 1} ${NAMES[i].padEnd(11)} unwrap ${took} ms  replay tag ${toHex(r.replayTag).slice(0, 16)}…  ${what}`);
    if (r.kind === 'forward') {
      packet = r.packet;
    } else {
      const text = new TextDecoder().decode(r.payload.subarray(0, message.length));
      out();
      out(`delivered ${r.payload.length} B payload: "${text}"`);
      packet = null;
    }
  }
  out();
  out('Each hop saw only its own commands and the next hop; the packet kept its size at every hop.');
  return 0;
}
