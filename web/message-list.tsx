// A conversation's messages, however many (issue 12: "a history of 10,000
// messages opens and scrolls smoothly"): the app holds the whole history,
// but the page renders only the newest PAGE of them, and PAGE more each time
// the reader reaches the top (or presses "Show earlier messages"), keeping
// what was on screen in place. What is rendered but off screen costs no
// layout or paint (`content-visibility: auto` on each message, app.css).
// The list follows new messages while the reader is at its end, not while
// they read older ones. It is an ARIA log: a screen reader reads what
// arrives without moving the focus.

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { MessageRecord } from '../client/api.js';
import { call } from './api.js';
import { DeliveryMark } from './delivery-mark.js';
import { saveFile } from './file-transfer.js';
import { byteSize, timeOf } from './format.js';

/** Messages rendered at first, and added each time the reader reaches the top. */
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

function Message({ m }: { m: MessageRecord }) {
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

export function MessageList({ contact, messages }: { contact: string; messages: MessageRecord[] }) {
  // How many of the oldest messages are not rendered: new ones arriving do not change it.
  const [hidden, setHidden] = useState(() => Math.max(0, messages.length - PAGE));
  const log = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  /** The distance from the bottom to keep when earlier messages are added above. */
  const anchor = useRef<number | null>(null);

  const showEarlier = (): void => {
    const el = log.current;
    if (hidden === 0 || !el) return;
    anchor.current = el.scrollHeight - el.scrollTop;
    setHidden(Math.max(0, hidden - PAGE));
  };

  // Before paint: earlier messages added above keep the ones on screen in place; otherwise follow the newest.
  useLayoutEffect(() => {
    const el = log.current;
    if (!el) return;
    if (anchor.current !== null) {
      el.scrollTop = el.scrollHeight - anchor.current;
      anchor.current = null;
    } else if (following.current) el.scrollTop = el.scrollHeight;
  }, [hidden, messages.length]);

  // A history loaded again may be shorter (a rejected key's messages deleted).
  useEffect(() => {
    if (hidden > messages.length) setHidden(Math.max(0, messages.length - PAGE));
  }, [messages.length, hidden]);

  const shown = hidden > 0 ? messages.slice(hidden) : messages;
  return (
    <div
      class="messages"
      ref={log}
      role="log"
      aria-live="polite"
      aria-label={`Messages with ${contact}`}
      tabIndex={0}
      data-hidden={hidden}
      onScroll={(e) => {
        const el = e.currentTarget as HTMLDivElement;
        following.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
        if (el.scrollTop < NEAR_TOP_PX) showEarlier();
      }}
    >
      {hidden > 0 && (
        <button type="button" class="link earlier" data-action="show-earlier" onClick={showEarlier}>
          Show earlier messages ({hidden} more)
        </button>
      )}
      {messages.length === 0 ? (
        <p class="muted">No messages yet.</p>
      ) : (
        <ol>
          {shown.map((m) => (
            <Message key={m.id} m={m} />
          ))}
        </ol>
      )}
    </div>
  );
}
