// `chaff client chat NAME`: the interactive chat with one contact. It shows
// the history with delivery marks, then live messages and state changes as
// the daemon reports them, and sends each line typed (slash commands aside).
// A message is one line: `[14:03] you: hello  ✓✓`, its mark rewritten in
// place as it changes (chat-screen.ts); the daemon's going offline and
// coming back are lines too (chat-connection.ts). The terminal side (the
// prompt, lines one at a time) is repl.ts.

import { ClientError, type ClientEvent, type MessageRecord } from '../../client/api.js';
import type { ClientApiConnection } from '../../client/rpc/client.js';
import { MAX_HISTORY_LIMIT } from '../../client/rpc/methods.js';
import { CHAT_HELP, parseChatLine } from './chat-input.js';
import { ChatConnection } from './chat-connection.js';
import { defaultSaveName, transcriptText, writeTranscript } from './chat-save.js';
import { ChatScreen } from './chat-screen.js';
import { keyChangedWarning, messageLine, nameColumn, printable, stateLine } from './format.js';
import { coalescing, processTerminal, Repl, type ChatTerminal } from './repl.js';
import { sendTextOrFile } from './sendable.js';
import { paintFor } from './terminal-text.js';

const CHAT_HISTORY = 50;

export interface ChatOptions {
  terminal?: ChatTerminal;
  now?: () => number;
}

/** The interactive chat with one contact. Resolves with the exit status. */
export async function chatRepl(api: ClientApiConnection, contact: string, options: ChatOptions = {}): Promise<number> {
  const info = (await api.listContacts()).find((c) => c.name === contact);
  if (!info) throw new ClientError('unknown-contact', `no contact named "${printable(contact)}" (chaff client contacts list shows them)`);
  const terminal = options.terminal ?? processTerminal();
  const now = options.now ?? Date.now;
  const repl = new Repl(terminal);
  const print = repl.print;
  const paint = paintFor(terminal.output, terminal.env);
  const screen = new ChatScreen<MessageRecord>(repl, messageLine, { layout: { nameWidth: nameColumn(['you', printable(contact)]), paint }, now });
  const prompt = (offline: boolean): string => (offline ? `you ${paint.warn('(offline)')}> ` : 'you> ');
  repl.setPrompt(prompt(false));
  const connection = new ChatConnection({ print, offline: (offline) => repl.setPrompt(prompt(offline)) }, { paint, now });

  // Incoming messages are marked read while the chat is open.
  const markRead = coalescing(() =>
    api.markRead(contact).then(
      () => {},
      (err: Error) => print(`! cannot mark messages read: ${printable(err.message)}`),
    ),
  );

  const onEvent = (event: ClientEvent): void => {
    switch (event.type) {
      case 'message': {
        const m = event.message;
        if (m.contact !== contact) {
          if (m.direction === 'in') print(`(new message from ${printable(m.contact)}: chaff client chat ${m.contact})`);
          return;
        }
        if (screen.add(m) && m.direction === 'in') markRead();
        return;
      }
      case 'state': {
        const m = event.message;
        if (m.contact !== contact || m.direction !== 'out') return;
        const before = screen.get(m.id);
        if (!before) screen.add(m);
        else if (before.state !== m.state) screen.change(m, stateLine(m));
        return;
      }
      case 'contact':
        if (event.contact.name === contact && event.contact.keyChanged) print(keyChangedWarning(contact));
        return;
      case 'request':
        print(`! contact request from ${printable(event.request.address)} (${event.request.messages} messages); to answer: chaff client contacts add NAME ${printable(event.request.address)}`);
        return;
      case 'warning':
        print(`! ${printable(event.text)}`);
        return;
      case 'connection':
        connection.apply(event.connection);
        return;
      case 'group-post':
        if (event.post.direction === 'in') print(`(new post in a group: chaff client group chat ${event.post.group})`);
        return;
    }
  };

  // Subscribe before reading the history, so nothing falls between the two.
  const early: ClientEvent[] = [];
  let live = false;
  const unsubscribe = api.subscribe((event) => (live ? onEvent(event) : early.push(event)));
  try {
    // Without a status (an error) the chat still runs; the next `connection` event says the state.
    const [history, status] = await Promise.all([api.history(contact, CHAT_HISTORY), api.status().catch(() => ({}))]);
    print(`chat with ${printable(contact)} (${info.verified ? 'verified' : `not verified: chaff client verify ${contact}`}). /help lists the commands.`);
    if (info.keyChanged) print(keyChangedWarning(contact));
    connection.start(status);
    for (const m of history) screen.add(m);
    if (history.some((m) => m.direction === 'in' && m.state === 'delivered')) markRead();
    live = true;
    for (const event of early.splice(0)) onEvent(event);

    const send = async (what: { text: string } | { path: string }): Promise<void> => {
      try {
        const { message } = await sendTextOrFile(what, { text: (text) => api.sendText(contact, text), file: (name, data) => api.sendFile(contact, name, data) });
        screen.add(message);
      } catch (err) {
        print(`! ${printable((err as Error).message)}`);
      }
    };
    const verify = async (): Promise<void> => {
      try {
        const v = await api.verify(contact);
        print(`safety number with ${printable(contact)}: ${printable(v.safetyNumber)} (${v.verified ? 'verified' : `not verified; if it matches theirs: chaff client verify ${contact} --mark`})`);
      } catch (err) {
        print(`! ${printable((err as Error).message)}`);
      }
    };
    const save = async (path: string | null, overwrite: boolean): Promise<void> => {
      try {
        const items = await api.history(contact, MAX_HISTORY_LIMIT);
        const line = (m: MessageRecord): string => messageLine(m, now(), { nameWidth: nameColumn(['you', printable(contact)]), clock: 'time' });
        const text = transcriptText({ title: `chat with ${printable(contact)}`, items, truncatedAt: MAX_HISTORY_LIMIT, line }, now());
        const written = writeTranscript(path ?? defaultSaveName(contact, now()), text, overwrite);
        print(`saved ${items.length} message${items.length === 1 ? '' : 's'} to ${printable(written)}`);
      } catch (err) {
        print(`! ${printable((err as Error).message)}`);
      }
    };
    const handle = async (line: string): Promise<'quit' | void> => {
      const input = parseChatLine(line);
      switch (input.kind) {
        case 'nothing':
          return;
        case 'text':
          return send({ text: input.text });
        case 'file':
          return send({ path: input.path });
        case 'verify':
          return verify();
        case 'save':
          return save(input.path, input.overwrite);
        case 'help':
          return print(CHAT_HELP);
        case 'quit':
          return 'quit';
        case 'usage':
          return print(input.hint);
        case 'unknown':
          return print(`unknown command ${printable(input.command)} (/help lists them)`);
      }
    };

    const exit = await repl.run(api, handle);
    await markRead.settled();
    return exit;
  } finally {
    unsubscribe();
  }
}
