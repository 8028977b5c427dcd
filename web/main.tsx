// The Chaff web app (docs/web-app.md): contact requests, conversations, a
// conversation, the network panel, the settings. It loads what the daemon holds, then follows the live
// events; when the event stream reopens (the server or the daemon came
// back) it loads again, so nothing missed while away is lost.

import { render } from 'preact';
import { useCallback, useEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { BlockedInfo, ContactInfo, ContactRequest, HistoryPage, MessageRecord } from '../client/api.js';
import { call, openLiveEvents } from './api.js';
import { initialState, reduce } from './app-state.js';
import { ConversationView } from './conversation.js';
import { ContactRequests } from './contact-requests.js';
import { ConversationList } from './conversation-list.js';
import { PAGE } from './message-list.js';
import { FirstRunPage, firstRunState } from './first-run.js';
import { readAsBase64 } from './file-transfer.js';
import { ConnectionBanner, NotificationSwitch } from './header-controls.js';
import { notify } from './notifications.js';
import { OwnAddress } from './own-address.js';
import { AddContact } from './add-contact.js';
import { BlockedList } from './blocked-list.js';
import { NetworkPanel } from './network-panel.js';
import { Settings } from './settings.js';
import type { FirstRunState } from '../client/ui/first-run-state.js';
import './app.css';

function App() {
  const [state, dispatch] = useReducer(reduce, initialState);

  // Each load is numbered: the reducer keeps the events that arrive while it runs and applies them on its snapshot.
  const loads = useRef(0);
  const load = useCallback(async () => {
    const seq = ++loads.current;
    dispatch({ type: 'loading', seq });
    try {
      const [contacts, inbox, blocked] = await Promise.all([
        call<ContactInfo[]>('contacts.list'),
        call<{ unread: MessageRecord[]; requests: ContactRequest[] }>('inbox'),
        call<BlockedInfo[]>('blocked.list'),
      ]);
      const lasts = Object.fromEntries(await Promise.all(contacts.map(async (c) => [c.name, (await call<MessageRecord[]>('history', { contact: c.name, limit: 1 }))[0] ?? null] as const)));
      dispatch({ type: 'loaded', seq, contacts, unread: inbox.unread, requests: inbox.requests, blocked, lasts });
    } catch (err) {
      dispatch({ type: 'load-failed', seq, text: `cannot load: ${(err as Error).message}` });
    }
  }, []);

  const open = useCallback(async (contact: string) => {
    dispatch({ type: 'select', contact });
    try {
      // The newest page only: earlier ones come as the reader scrolls up (loadEarlier).
      const [page] = await Promise.all([call<HistoryPage>('history.page', { contact, limit: PAGE }), call<number>('read', { contact })]);
      dispatch({ type: 'history', contact, page });
    } catch (err) {
      dispatch({ type: 'notice', text: `cannot open ${contact}: ${(err as Error).message}` });
    }
  }, []);

  /** The page before the message `before` (the first one loaded), put in front of the conversation's window. */
  const loadEarlier = useCallback(async (contact: string, before: string): Promise<void> => {
    try {
      const page = await call<HistoryPage>('history.page', { contact, limit: PAGE, before });
      dispatch({ type: 'earlier', contact, before, page });
    } catch (err) {
      dispatch({ type: 'notice', text: `cannot load earlier messages with ${contact}: ${(err as Error).message}` });
      throw err;
    }
  }, []);

  useEffect(
    () =>
      openLiveEvents({
        onEvent: (event) => {
          dispatch({ type: 'event', event });
          notify(event, (contact) => void open(contact));
        },
        onStatus: (snapshot) => dispatch({ type: 'status', snapshot }),
        onOpen: () => {
          dispatch({ type: 'live', live: true });
          void load();
        },
        onClose: () => dispatch({ type: 'live', live: false }),
      }),
    [load],
  );

  const [visible, setVisible] = useState(document.visibilityState === 'visible');
  useEffect(() => {
    const follow = (): void => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', follow);
    return () => document.removeEventListener('visibilitychange', follow);
  }, []);

  // A message arriving in the open conversation is read once the page is seen (at once, or when the tab comes back).
  const selected = state.selected;
  const openUnread = selected !== null ? (state.conversations[selected]?.unread.length ?? 0) : 0;
  const lastIn = selected !== null ? state.conversations[selected]?.last : undefined;
  useEffect(() => {
    if (selected === null || lastIn?.direction !== 'in' || lastIn.state === 'read' || !visible) return;
    void call<number>('read', { contact: selected }).catch(() => undefined);
  }, [selected, lastIn?.id, lastIn?.state, openUnread, visible]);

  // The tab's title counts what is unread, so a hidden tab shows it too.
  const unreadTotal = Object.values(state.conversations).reduce((n, c) => n + c.unread.length, 0) + state.requests.length;
  useEffect(() => {
    document.title = unreadTotal > 0 ? `(${unreadTotal}) Chaff` : 'Chaff';
  }, [unreadTotal]);

  const send = useCallback(async (contact: string, text: string) => {
    const { message } = await call<{ message: MessageRecord }>('send.text', { contact, text });
    dispatch({ type: 'sent', message });
  }, []);

  const sendFile = useCallback(async (contact: string, file: File) => {
    const { message } = await call<{ message: MessageRecord }>('send.file', { contact, name: file.name, data: await readAsBase64(file) });
    dispatch({ type: 'sent', message });
  }, []);

  const contactChanged = useCallback(
    (before: ContactInfo, after: ContactInfo) => {
      dispatch({ type: 'event', event: { type: 'contact', contact: after } });
      // An accepted key shows the messages it held; a rejected one deleted them: either way the history changed.
      if (before.keyChanged && !after.keyChanged) void open(after.name);
    },
    [open],
  );

  // Blocking changes the requests (a blocked one is deleted) and the blocked list: both are loaded again.
  const block = useCallback(
    async (address: string) => {
      await call<BlockedInfo>('blocked.add', { address });
      await load();
    },
    [load],
  );
  const unblock = useCallback(async (address: string) => {
    await call<null>('blocked.remove', { address });
    dispatch({ type: 'blocked', blocked: await call<BlockedInfo[]>('blocked.list') });
  }, []);

  const accept = useCallback(
    async (name: string, address: string) => {
      await call<ContactInfo>('contacts.add', { name, address });
      await load();
      await open(name);
    },
    [load, open],
  );

  // What the middle column shows instead of a conversation, if anything.
  const [panel, setPanel] = useState<'address' | 'add-contact' | 'settings' | null>(null);
  const openConversation = (name: string): void => {
    setPanel(null);
    void open(name);
  };
  const contact = state.contacts.find((c) => c.name === selected) ?? null;
  return (
    <div class="app">
      <header class="top">
        <h1>Chaff</h1>
        <ConnectionBanner live={state.live} snapshot={state.status} />
        <button type="button" class="link switch" data-action="own-address" aria-expanded={panel === 'address'} onClick={() => setPanel(panel === 'address' ? null : 'address')}>
          Your address
        </button>
        <button type="button" class="link switch" data-action="settings" aria-expanded={panel === 'settings'} onClick={() => setPanel(panel === 'settings' ? null : 'settings')}>
          Settings
        </button>
        <NotificationSwitch />
        {state.notice && (
          <p class="notice" role="status">
            {state.notice}{' '}
            <button type="button" class="link" onClick={() => dispatch({ type: 'notice', text: null })}>
              Dismiss
            </button>
          </p>
        )}
      </header>
      <div class="sidebar">
        <ContactRequests
          requests={state.requests}
          onAccept={async (name, address) => {
            await accept(name, address);
            setPanel(null);
          }}
          onBlock={block}
        />
        <ConversationList contacts={state.contacts} conversations={state.conversations} selected={selected} onSelect={openConversation} onAdd={() => setPanel('add-contact')} />
        <BlockedList blocked={state.blocked} onUnblock={unblock} />
      </div>
      <main class="main" id="main">
        {panel === 'address' ? (
          <OwnAddress onClose={() => setPanel(null)} />
        ) : panel === 'settings' ? (
          <Settings onClose={() => setPanel(null)} />
        ) : panel === 'add-contact' ? (
          <AddContact
            onClose={() => setPanel(null)}
            onAdded={(added) => {
              setPanel(null);
              void load().then(() => open(added.name));
            }}
          />
        ) : contact ? (
          <ConversationView
            contact={contact}
            messages={state.conversations[contact.name]?.messages ?? null}
            earlier={state.conversations[contact.name]?.earlier ?? 0}
            onEarlier={(before) => loadEarlier(contact.name, before)}
            loads={state.conversations[contact.name]?.loads ?? 0}
            onSend={(text) => send(contact.name, text)}
            onSendFile={(file) => sendFile(contact.name, file)}
            onContactChanged={(after) => contactChanged(contact, after)}
            blocked={state.blocked.find((b) => b.contact === contact.name) ?? null}
            onBlock={() => block(contact.address)}
            onUnblock={() => unblock(contact.address)}
          />
        ) : (
          <p class="muted placeholder">{state.loaded ? 'Choose a conversation.' : 'Loading…'}</p>
        )}
      </main>
      <NetworkPanel snapshot={state.status} rates={state.rates} live={state.live} />
    </div>
  );
}

/** The first run (a folder with no profile yet: web/first-run.tsx) until it is done, then the app. */
function Root() {
  const [mode, setMode] = useState<{ first: FirstRunState } | 'app' | null>(null);
  useEffect(() => {
    void firstRunState().then((s) => setMode(s !== null && s.active ? { first: s } : 'app'));
  }, []);
  if (mode === null) return <p class="muted placeholder">Loading…</p>;
  return mode === 'app' ? <App /> : <FirstRunPage initial={mode.first} onOpenApp={() => setMode('app')} />;
}

render(<Root />, document.getElementById('app')!);
