// Measures what group operations cost at 5, 20 and 100 members: packets
// (envelopes of the production geometry, docs/groups.md §Cost) and CPU time at
// the member who acts and at one who receives. Not a test: run it with
//   npx tsx test/protocol/groups/cost.ts
// (the figures in docs/groups.md come from it). Members other than the actor
// and one watcher are offline after accepting: what is sent to them is
// counted, not delivered, so the CPU columns are one member's, not the group's.

import { cpuUsage } from 'node:process';
import { fragmentCount } from '../../../protocol/chat/fragmenter.js';
import { GROUP_FRAME_HEADER_LENGTH } from '../../../protocol/groups/frame.js';
import type { Outgoing } from '../../../protocol/groups/group.js';
import { GroupNet, member, type Member } from './fixtures.js';
import { openEnvelope, Session } from '../../../protocol/e2ee/session.js';
import { L, P } from './sealed-net.js';

const packets = (out: readonly Outgoing[]) => out.reduce((n, o) => n + fragmentCount(o.message.length, P - GROUP_FRAME_HEADER_LENGTH), 0);
const cpuMs = (fn: () => void): number => {
  const start = cpuUsage();
  fn();
  const d = cpuUsage(start);
  return (d.user + d.system) / 1000;
};

interface Row {
  op: string;
  packets: number;
  actorMs: number;
  receiverMs: number;
}

function measure(n: number, base: number): Row[] {
  const members = Array.from({ length: n + 1 }, (_, i) => member(base + i));
  const newcomer = members[n];
  const [creator, watcher] = members;
  const online = new Set([creator.hex, watcher.hex, newcomer.hex]);
  const net = new GroupNet(members);
  const g = net.create(creator, 'cost');
  for (const m of members.slice(1, n)) net.queue(creator, g.invite(m.address, 1));
  const deliverTo = (who: Member | null) => {
    let ms = 0;
    while (net.inFlight.length > 0) {
      const f = net.inFlight[0];
      if (online.has(f.to.hex) || !net.group(f.to)) {
        if (who && f.to.hex === who.hex) ms += cpuMs(() => net.deliver(0));
        else net.deliver(0);
      } else net.inFlight.shift();
    }
    return ms;
  };
  deliverTo(null);
  for (const m of members.slice(1, n)) net.queue(m, net.group(m)!.accept(2));
  deliverTo(null);
  const rows: Row[] = [];
  const run = (op: string, actor: Member, act: () => Outgoing[]) => {
    let out: Outgoing[] = [];
    const actorMs = cpuMs(() => (out = act()));
    net.queue(actor, out);
    const receiverMs = deliverTo(actor === watcher ? creator : watcher);
    rows.push({ op, packets: packets(out), actorMs, receiverMs });
  };
  // The first post after many members joined at once also signs a merge op (its heads were many).
  run('first post after the joins (with a merge op)', creator, () => g.post({ kind: 'text', text: 'x'.repeat(100) }, 3).outgoing);
  run('post, 100-byte text', creator, () => g.post({ kind: 'text', text: 'x'.repeat(100) }, 3).outgoing);
  run('post, 10 kB file', creator, () => g.post({ kind: 'file', name: 'f.bin', data: new Uint8Array(10_000) }, 3).outgoing);
  run('rename', creator, () => g.rename('renamed', 4));
  run('invite (op to members + invitation)', creator, () => g.invite(newcomer.address, 5));
  run('accept (by the newcomer)', newcomer, () => net.group(newcomer)!.accept(6));
  run('remove', creator, () => g.remove(members[n - 1].key, 7));
  run('leave', watcher, () => net.group(watcher)!.leave(8));
  return rows;
}

/** CPU ms to seal one later envelope (docs/e2ee.md §6) in an established session: the client pays it per packet. */
function sealMs(): number {
  const [a, b] = [member(398), member(399)];
  const ab = Session.initiate(a.identity, a.address, b.address);
  const opened = openEnvelope(b.identity, [], ab.seal(new Uint8Array(10), L));
  const ba = opened.session;
  openEnvelope(a.identity, [ab], ba.seal(new Uint8Array(10), L));
  const frame = new Uint8Array(P);
  const rounds = 200;
  return (
    cpuMs(() => {
      for (let i = 0; i < rounds; i++) ab.seal(frame, L);
    }) / rounds
  );
}

const results: Array<[number, Row[]]> = [];
for (const [n, base] of [
  [5, 400],
  [20, 420],
  [100, 450],
] as const) {
  results.push([n, measure(n, base)]);
}
console.log('| operation | ' + results.map(([n]) => `${n} members: packets / actor ms / receiver ms`).join(' | ') + ' |');
console.log('|---|' + results.map(() => '---').join('|') + '|');
for (let i = 0; i < results[0][1].length; i++) {
  console.log(`| ${results[0][1][i].op} | ` + results.map(([, rows]) => `${rows[i].packets} / ${rows[i].actorMs.toFixed(1)} / ${rows[i].receiverMs.toFixed(1)}`).join(' | ') + ' |');
}
console.log(`\nsealing one envelope (later kind, ${L} bytes): ${sealMs().toFixed(3)} ms`);
