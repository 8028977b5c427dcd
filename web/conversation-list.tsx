// The conversations: one button per contact with its unread count and the
// newest message. The open one is aria-current; arrow keys move between
// them (the list is one tab stop, as in the ARIA practices' listbox-like
// navigation lists). "Add a contact" opens the form (add-contact.tsx).

import type { ContactInfo } from '../client/api.js';
import type { Conversation } from './app-state.js';
import { DeliveryMark } from './delivery-mark.js';
import { preview, timeOf } from './format.js';

interface Props {
  contacts: ContactInfo[];
  conversations: Record<string, Conversation>;
  selected: string | null;
  onSelect(name: string): void;
  onAdd(): void;
}

function moveFocus(e: KeyboardEvent): void {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const buttons = Array.from((e.currentTarget as HTMLElement).querySelectorAll<HTMLButtonElement>('button.conversation'));
  const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
  const next = buttons[Math.max(0, Math.min(buttons.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))];
  if (next) {
    e.preventDefault();
    next.focus();
  }
}

export function ConversationList({ contacts, conversations, selected, onSelect, onAdd }: Props) {
  const ordered = [...contacts].sort((a, b) => (conversations[b.name]?.last?.sentMs ?? b.addedMs) - (conversations[a.name]?.last?.sentMs ?? a.addedMs));
  return (
    <nav class="conversations" aria-labelledby="conversations-title">
      <div class="title-row">
        <h2 id="conversations-title">Conversations</h2>
        <button type="button" class="link" data-action="add-contact" onClick={onAdd}>
          Add a contact
        </button>
      </div>
      {ordered.length === 0 ? (
        <p class="muted">No contacts yet. Add one with the address they gave you, and give them yours (Your address, at the top).</p>
      ) : (
        <ul onKeyDown={moveFocus}>
          {ordered.map((contact) => {
            const c = conversations[contact.name];
            const last = c?.last ?? null;
            const unread = c?.unread.length ?? 0;
            return (
              <li key={contact.name}>
                <button type="button" class="conversation" data-contact={contact.name} aria-current={selected === contact.name ? 'true' : undefined} onClick={() => onSelect(contact.name)}>
                  <span class="conversation-head">
                    <span class="name">{contact.name}</span>
                    {contact.keyChanged && <span class="badge warning">key changed</span>}
                    {unread > 0 && (
                      <span class="badge unread" data-unread={unread}>
                        {unread}
                        <span class="sr-only"> unread</span>
                      </span>
                    )}
                  </span>
                  <span class="preview">
                    {last ? (
                      <>
                        {last.direction === 'out' && <DeliveryMark state={last.state} />} <span class="preview-text">{preview(last)}</span> <time class="muted">{timeOf(last.sentMs)}</time>
                      </>
                    ) : (
                      <span class="muted">no messages yet</span>
                    )}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </nav>
  );
}
