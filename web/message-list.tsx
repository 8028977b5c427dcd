// A conversation's messages, however many (issue 12: "a history of 10,000
// messages opens and scrolls smoothly"): a conversation opens with the
// newest PAGE of its history from the daemon, and the PAGE before them is
// asked for (`history.page`, docs/client-api.md) each time the reader nears
// the top or presses "Show earlier messages", keeping what was on screen in
// place. What is rendered but off screen costs no layout or paint
// (`content-visibility: auto` on each message, app.css).
// The list follows new messages while the reader is at its end, not while
// they read older ones. It is an ARIA log: a screen reader reads what
// arrives without moving the focus.

import { Component } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { MessageRecord } from '../client/api.js';
import { call } from './api.js';
import { DeliveryMark } from './delivery-mark.js';
import { saveFile } from './file-transfer.js';
import { byteSize, timeOf } from './format.js';

/** Messages loaded from the daemon when a conversation opens, and each time the reader reaches the top. */
export const PAGE = 200;
/** How close to the top (px) loads the earlier page, so it is there before the reader gets to it. */
const NEAR_TOP_PX = 300;
/** How close to the bottom (px) still counts as following the conversation. */
const NEAR_BOTTOM_PX = 80;

function FileBody({ m, file }: { m: MessageRecord; file: NonNullable<MessageRecord['content']['file']> }) {
  const [error, setError] = useState<string | null>(null);
  const save = async (): Promise<void> => {
    setError(null);
    try {
      const { name, data } = await call<{ name: string; data: string }>('file.data', { id: m.id });
      saveFile(name, data);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <span class="body file">
      <span class="file-name">{file.name}</span> <span class="muted">({byteSize(file.size)})</span>{' '}
      <button type="button" class="link" data-action="save-file" onClick={() => void save()} aria-label={`Save ${file.name}`}>
        Save
      </button>
      {error && <span class="alert"> {error}</span>}
    </span>
  );
}

function MessageBody({ m }: { m: MessageRecord }) {
  const mine = m.direction === 'out';
  return (
    <li class={`message ${mine ? 'out' : 'in'}`} data-id={m.id} data-state={m.state}>
      <span class="sr-only">{mine ? 'You: ' : `${m.contact}: `}</span>
      {m.content.file ? <FileBody m={m} file={m.content.file} /> : <span class="body">{m.content.text ?? ''}</span>}
      <span class="meta">
        <time class="muted" dateTime={new Date(m.sentMs).toISOString()}>
          {timeOf(m.sentMs)}
        </time>
        {mine && <DeliveryMark state={m.state} error={m.error} />}
      </span>
    </li>
  );
}

/**
 * One message, rendered again only when its record changes (a new delivery
 * mark is a new record, app-state.ts): an earlier page, a new message or the
 * list's own state renders the new rows, not every row loaded (each costs a
 * locale time format, format.ts timeOf).
 */
class Message extends Component<{ m: MessageRecord }> {
  override shouldComponentUpdate(next: { m: MessageRecord }): boolean {
    return next.m !== this.props.m;
  }

  override render() {
    return <MessageBody m={this.props.m} />;
  }
}

export function MessageList({ contact, messages, earlier, onEarlier }: { contact: string; messages: MessageRecord[]; earlier: number; onEarlier(before: string): Promise<void> }) {
  // A page is asked for at a time: `asking` for the screen, `busy` for the scroll events that come before it renders.
  const [asking, setAsking] = useState(false);
  const busy = useRef(false);
  const log = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  /** The message that was first when an earlier page was asked for, and its distance from the list's top: kept where it was once the page is in. */
  const anchor = useRef<{ id: string; top: number } | null>(null);

  const itemOf = (el: HTMLDivElement, id: string): HTMLElement | null => el.querySelector(`.message[data-id="${id}"]`);

  const showEarlier = (): void => {
    const el = log.current;
    const first = messages[0];
    if (earlier === 0 || busy.current || !el || !first) return;
    const item = itemOf(el, first.id);
    anchor.current = { id: first.id, top: item ? item.getBoundingClientRect().top - el.getBoundingClientRect().top : 0 };
    busy.current = true;
    setAsking(true);
    onEarlier(first.id)
      .catch(() => (anchor.current = null))
      .finally(() => {
        busy.current = false;
        setAsking(false);
      });
  };

  // Before paint: an earlier page added above keeps the message that was first in place; otherwise follow the newest.
  useLayoutEffect(() => {
    const el = log.current;
    if (!el) return;
    const kept = anchor.current;
    if (kept !== null && messages[0]?.id !== kept.id) {
      const item = itemOf(el, kept.id);
      if (item) el.scrollTop += item.getBoundingClientRect().top - el.getBoundingClientRect().top - kept.top;
      anchor.current = null;
    } else if (kept === null && following.current) el.scrollTop = el.scrollHeight;
  }, [messages]);

  return (
    <div
      class="messages"
      ref={log}
      role="log"
      aria-live="polite"
      aria-label={`Messages with ${contact}`}
      aria-busy={asking}
      tabIndex={0}
      data-hidden={earlier}
      onScroll={(e) => {
        const el = e.currentTarget as HTMLDivElement;
        following.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
        // While a page is on its way the reader (or the wheel's smooth scrolling) may still move: keep the message where it is now, not where it was when the page was asked for.
        const kept = anchor.current;
        const item = kept && busy.current ? itemOf(el, kept.id) : null;
        if (kept && item) kept.top = item.getBoundingClientRect().top - el.getBoundingClientRect().top;
        if (el.scrollTop < NEAR_TOP_PX) showEarlier();
      }}
    >
      {earlier > 0 && (
        <button type="button" class="link earlier" data-action="show-earlier" onClick={showEarlier}>
          {asking ? 'Loading earlier messages…' : `Show earlier messages (${earlier} more)`}
        </button>
      )}
      {messages.length === 0 ? (
        <p class="muted">No messages yet.</p>
      ) : (
        <ol>
          {messages.map((m) => (
            <Message key={m.id} m={m} />
          ))}
        </ol>
      )}
    </div>
  );
}
