// The one-time fix-up of profiles written while the order buffer held
// messages back (version 1 of its state, protocol/chat/order.ts): a message
// that had arrived past a gap waited there as a hidden row until the gap
// filled or its hold ended. Now a complete message is shown at once
// (docs/chat.md §Ordering), so the rows such a state still held back are
// shown when the messenger loads, and the peer's state is rewritten as
// version 2, in one write. A row held for another reason (a stranger's
// request, a contact's changed key) stays hidden until the user decides.

import type { InboundStates } from '../receiver/inbound-states.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import type { MessageHistory } from './message-history.js';
import type { MessengerLog } from './messenger-log.js';

/** Shows the messages version 1 order states held back when `inbound` loaded; resolves once that is written. */
export async function showMessagesHeldByOrder(stores: { begin(): UnitOfWork }, inbound: InboundStates, messages: MessageHistory, log: MessengerLog): Promise<void> {
  const released = inbound.takeReleasedOnLoad();
  if (released.size === 0) return;
  const work = stores.begin();
  let shown = 0;
  for (const [peer, ids] of released) {
    for (const id of ids) {
      const row = messages.get(id);
      if (!row || row.peer !== peer || !row.hidden || row.held) continue;
      row.hidden = false;
      messages.save(work, row);
      shown++;
    }
    inbound.save(peer, work);
  }
  await work.commit({ sync: true });
  log('info', 'messages held back behind a gap by an older version are shown now', { messages: shown });
}
