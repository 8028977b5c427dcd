// Group messages carried as the client will carry them: split into group
// frames, each sealed in the sender's pairwise Double Ratchet session with
// the recipient into a fixed-size envelope (docs/e2ee.md), opened by the
// recipient with its own sessions and reassembled. Every envelope is also
// handed to an optional eavesdropper, as a gateway that colludes with a
// removed member would. (Not a *.test.ts file, so mocha does not run it.)

import { toHex } from '../../../protocol/bytes.js';
import { defragment } from '../../../protocol/chat/fragmenter.js';
import type { DataFragment } from '../../../protocol/chat/frames.js';
import { maxPlaintextLength, PRODUCTION_ENVELOPE_LENGTH } from '../../../protocol/e2ee/envelope.js';
import { openEnvelope, Session } from '../../../protocol/e2ee/session.js';
import { decodeGroupFrame, encodeGroupFrames } from '../../../protocol/groups/frame.js';
import { Group, type GroupEvent, type Outgoing } from '../../../protocol/groups/group.js';
import { deterministicRandom } from '../../helpers/drbg.js';
import type { Member } from './fixtures.js';

export const L = PRODUCTION_ENVELOPE_LENGTH;
export const P = maxPlaintextLength(L);

export interface Envelope {
  from: Member;
  to: Member;
  bytes: Uint8Array;
}

export class SealedNet {
  readonly groups = new Map<string, Group>();
  /** Each member's pairwise sessions. */
  readonly sessions = new Map<string, Session[]>();
  readonly events = new Map<string, GroupEvent[]>();
  readonly wire: Envelope[] = [];
  readonly #partial = new Map<string, DataFragment[]>();
  readonly #random = deterministicRandom('sealed-net');
  #seq = 0n;
  packets = 0;

  constructor(readonly members: readonly Member[]) {
    for (const m of members) this.sessions.set(m.hex, []);
  }

  #session(from: Member, to: Member): Session {
    const list = this.sessions.get(from.hex)!;
    let s = list.find((x) => toHex(x.peerIdentityKey) === to.hex);
    if (!s) list.push((s = Session.initiate(from.identity, from.address, to.address, this.#random)));
    return s;
  }

  /** Seals each outgoing group message, fragment by fragment, and puts the envelopes on the wire. */
  send(from: Member, outgoing: readonly Outgoing[], nowMs = 0): void {
    for (const o of outgoing) {
      const to = this.members.find((m) => m.hex === toHex(o.to))!;
      const group = this.groups.get(from.hex)!;
      const frames = encodeGroupFrames(group.groupId, this.#random(16), this.#seq++, nowMs, o.message, P);
      for (const f of frames) this.wire.push({ from, to, bytes: this.#session(from, to).seal(f, L) });
      this.packets += frames.length;
    }
  }

  /** Opens envelope `e` as member `as` (its recipient, or anyone else who got hold of it). Returns false if it does not open. */
  open(e: Envelope, as: Member = e.to): boolean {
    let opened;
    try {
      opened = openEnvelope(as.identity, this.sessions.get(as.hex)!, e.bytes, this.#random);
    } catch {
      return false;
    }
    if (opened.created) this.sessions.get(as.hex)!.push(opened.session);
    const frame = decodeGroupFrame(opened.plaintext);
    const key = `${as.hex}/${toHex(frame.fragment.messageId)}`;
    const parts = [...(this.#partial.get(key) ?? []), frame.fragment];
    if (parts.length < frame.fragment.count) {
      this.#partial.set(key, parts);
      return true;
    }
    this.#partial.delete(key);
    const message = defragment(parts);
    const from = opened.session.peerIdentityKey;
    const g = this.groups.get(as.hex);
    if (!g) {
      this.groups.set(as.hex, Group.fromInvitation(as.keys, from, message));
      return true;
    }
    const r = g.receive(from, message);
    this.events.set(as.hex, [...(this.events.get(as.hex) ?? []), ...r.events]);
    this.send(as, r.outgoing);
    return true;
  }

  /** Delivers everything on the wire to its recipient, in order, until nothing is left. */
  flush(): void {
    while (this.wire.length > 0) this.open(this.wire.shift()!);
  }

  posts(m: Member): string[] {
    return (this.events.get(m.hex) ?? []).flatMap((e) => (e.type === 'post' && e.post.content.kind === 'text' ? [e.post.content.text] : []));
  }
}
