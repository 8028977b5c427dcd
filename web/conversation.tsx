// One conversation: its messages, each of ours with a delivery mark that the
// live events update in place, files with a button to save them, and the
// composer (Enter sends, Shift+Enter starts a new line; a file is attached
// with its button). The message list is an ARIA log, so a screen reader
// reads what arrives without moving the focus. Above it: the safety number
// to verify the contact with, and the warning of a key change, which must
// be acted on before anything is sent.

import { useEffect, useRef, useState } from 'preact/hooks';
import { MAX_MESSAGE_BYTES, type BlockedInfo, type ContactInfo, type MessageRecord } from '../client/api.js';
import { byteSize } from './format.js';
import { KeyChangeWarning } from './key-change.js';
import { MessageList } from './message-list.js';
import { VerifyPanel } from './verify-panel.js';

interface Props {
  contact: ContactInfo;
  /** The messages loaded (the newest ones, app-state.ts Conversation.messages). */
  messages: MessageRecord[] | null;
  /** How many older messages are not loaded yet. */
  earlier: number;
  /** Loads the page before the message `before` (rejects when it cannot). */
  onEarlier(before: string): Promise<void>;
  /** Changes each time the history is loaded again (app-state.ts Conversation.loads). */
  loads: number;
  onSend(text: string): Promise<void>;
  onSendFile(file: File): Promise<void>;
  /** The daemon answered with the contact's new state (verified, key accepted or rejected). */
  onContactChanged(contact: ContactInfo): void;
  /** The contact is blocked (docs/client.md §Blocking): what they send is dropped, nothing can be sent to them. */
  blocked: BlockedInfo | null;
  onBlock(): Promise<void>;
  onUnblock(): Promise<void>;
}

export function ConversationView({ contact, messages, earlier, onEarlier, loads, onSend, onSendFile, onContactChanged, blocked: blockedInfo, onBlock, onUnblock }: Props) {
  const [draft, setDraft] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [verifying, setVerifying] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
    setVerifying(false);
    setError(null);
  }, [contact.name]);

  const send = async (): Promise<void> => {
    const text = draft.trim();
    if (text === '' || sending) return;
    setSending(true);
    setError(null);
    try {
      await onSend(text);
      setDraft('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSending(false);
      input.current?.focus();
    }
  };

  const sendFile = async (file: File): Promise<void> => {
    setError(null);
    // The daemon refuses more too, but only after 1.4 MB of base64 crossed to it.
    if (file.size > MAX_MESSAGE_BYTES) {
      setError(`${file.name} is ${byteSize(file.size)}; a file may be at most ${byteSize(MAX_MESSAGE_BYTES)}`);
      return;
    }
    setSending(true);
    try {
      await onSendFile(file);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSending(false);
      if (picker.current) picker.current.value = '';
      input.current?.focus();
    }
  };

  const blocked = contact.keyChanged || blockedInfo !== null;
  const toggleBlock = (): void => {
    setError(null);
    (blockedInfo ? onUnblock() : onBlock()).catch((err: Error) => setError(err.message));
  };
  return (
    <section class="conversation-view" aria-labelledby="conversation-title">
      <div class="title-row">
        <h2 id="conversation-title">
          {contact.name}
          {contact.verified && <span class="badge verified">verified</span>}
        </h2>
        <div class="actions">
          <button type="button" class="link danger" data-action={blockedInfo ? 'unblock' : 'block'} onClick={toggleBlock}>
            {blockedInfo ? `Unblock ${contact.name}` : `Block ${contact.name}`}
          </button>
          {!contact.keyChanged && (
            <button type="button" class="link" aria-expanded={verifying} aria-controls={verifying ? 'verify-panel' : undefined} data-action="verify" onClick={() => setVerifying(!verifying)}>
              {verifying ? 'Hide the safety number' : contact.verified ? 'Safety number' : `Verify ${contact.name}`}
            </button>
          )}
        </div>
      </div>
      {blockedInfo && (
        <p class="blocked-note" data-field="blocked-note">
          You blocked {contact.name}: what they send is dropped unread ({blockedInfo.dropped} since the daemon started), and nothing can be sent to them. They are not told.
        </p>
      )}
      {contact.keyChanged && <KeyChangeWarning contact={contact} onDecided={onContactChanged} />}
      {verifying && !contact.keyChanged && <VerifyPanel contact={contact} onChanged={onContactChanged} />}
      {messages === null ? (
        <p class="muted" role="status">
          Loading…
        </p>
      ) : (
        <MessageList key={`${contact.name}:${loads}`} contact={contact.name} messages={messages} earlier={earlier} onEarlier={onEarlier} />
      )}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label for="composer-text">Message to {contact.name}</label>
        <div class="composer-row">
          <textarea
            id="composer-text"
            ref={input}
            rows={2}
            value={draft}
            aria-describedby="composer-hint"
            onInput={(e) => setDraft((e.currentTarget as HTMLTextAreaElement).value)}
            disabled={blocked}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                void send();
              }
            }}
          />
          <button type="submit" disabled={blocked || sending || draft.trim() === ''}>
            Send
          </button>
          <button type="button" class="secondary" data-action="attach" disabled={blocked || sending} onClick={() => picker.current?.click()}>
            Attach a file…
          </button>
          <input
            ref={picker}
            type="file"
            class="file-picker"
            tabIndex={-1}
            aria-hidden="true"
            onChange={(e) => {
              const file = (e.currentTarget as HTMLInputElement).files?.[0];
              if (file) void sendFile(file);
            }}
          />
        </div>
        <p id="composer-hint" class="muted hint">
          {blockedInfo
            ? `Unblock ${contact.name} to write to them.`
            : contact.keyChanged
              ? `Nothing can be sent to ${contact.name} until you accept or reject their new key.`
              : `Enter sends, Shift+Enter starts a new line. Files up to ${byteSize(MAX_MESSAGE_BYTES)}.`}
        </p>
        {error && (
          <p class="alert" role="alert">
            Not sent: {error}
          </p>
        )}
      </form>
    </section>
  );
}
