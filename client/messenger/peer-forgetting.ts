// What forgetting a peer's identity deletes: its hidden messages (filed
// under one contact field), its reassembly state and its sessions. Used when
// a contact request is dropped and when the user rejects a key change.

import type { InboundStates } from '../receiver/inbound-states.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import type { MessageHistory } from './message-history.js';
import type { SessionBook } from './session-book.js';

export interface PeerState {
  messages: MessageHistory;
  inbound: InboundStates;
  sessions: SessionBook;
}

/** Deletes `peer`'s (identity, hex) hidden rows filed under `contactField`, reassembly state and sessions; staged in `work`. */
export function forgetPeer(state: PeerState, work: UnitOfWork, peer: string, contactField: string): void {
  state.messages.forgetHidden(work, peer, contactField);
  state.inbound.drop(peer, work);
  state.sessions.forgetPeer(work, peer);
}
