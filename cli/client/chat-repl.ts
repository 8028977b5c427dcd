// `chaff client chat NAME`: the interactive chat with one contact. It shows
// the history with delivery marks, then live messages and state changes as
// the daemon reports them, and sends each line typed (slash commands aside).
// Lines are handled one at a time, in order, so piped input is sent whole
// before the chat leaves at its end.

import { createInterface, type Interface } from 'node:readline';
import { ClientError, type ClientEvent, type MessageRecord } from '../../client/api.js';
import type { ClientApiConnection } from '../../client/rpc/client.js';
import { CHAT_HELP, parseChatLine } from './chat-input.js';
import { keyChangedWarning, messageLine, printable, stateLine } from './format.js';
import { checkTextSize, readSendableFile } from './sendable.js';

const CHAT_HISTORY = 50;

/**
 * `task` run on demand, never twice at once: calls while it runs make one
 * more run after it (marking read is idempotent; the last call must count).
 */
function coalescing(task: () => Promise<void>): { (): void; settled(): Promise<void> } {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = task().finally(() => {
      running = null;
      if (again) {
        again = false;
        run();
      }
    });
  };
  return Object.assign(run, { settled: async (): Promise<void> => void (await running) });
}

/** The interactive chat with one contact. Resolves with the exit status. */
export async function chatRepl(api: ClientApiConnection, contact: string): Promise<number> {
  const info = (await api.listContacts()).find((c) => c.name === contact);
  if (!info) throw new ClientError('unknown-contact', `no contact named "${printable(contact)}" (chaff client contacts list shows them)`);
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  let rl: Interface | null = null;
  const print = (line: string): void => {
    if (rl && tty) {
      process.stdout.write('\r\u001b[2K');
      process.stdout.write(`${line}\n`);
      rl.prompt(true);
    } else {
      process.stdout.write(`${line}\n`);
    }
  };

  // Incoming messages are marked read while the chat is open.
  const markRead = coalescing(() =>
    api.markRead(contact).then(
      () => {},
      (err: Error) => print(`! cannot mark messages read: ${printable(err.message)}`),
    ),
  );

  const known = new Map<string, MessageRecord>();
  const onEvent = (event: ClientEvent): void => {
    switch (event.type) {
      case 'message': {
        const m = event.message;
        if (m.contact !== contact) {
          if (m.direction === 'in') print(`(new message from ${printable(m.contact)}: chaff client chat ${m.contact})`);
          return;
        }
        if (known.has(m.id)) return;
        known.set(m.id, m);
        print(messageLine(m));
        if (m.direction === 'in') markRead();
        return;
      }
      case 'state': {
        const m = event.message;
        if (m.contact !== contact || m.direction !== 'out') return;
        const before = known.get(m.id);
        known.set(m.id, m);
        if (before?.state !== m.state) print(stateLine(m));
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
    }
  };

  // Subscribe before reading the history, so nothing falls between the two.
  const early: ClientEvent[] = [];
  let live = false;
  const unsubscribe = api.subscribe((event) => (live ? onEvent(event) : early.push(event)));
  try {
    const history = await api.history(contact, CHAT_HISTORY);
    print(`chat with ${printable(contact)} (${info.verified ? 'verified' : `not verified: chaff client verify ${contact}`}). /help lists the commands.`);
    if (info.keyChanged) print(keyChangedWarning(contact));
    for (const m of history) {
      known.set(m.id, m);
      print(messageLine(m));
    }
    if (history.some((m) => m.direction === 'in' && m.state === 'delivered')) markRead();
    live = true;
    for (const event of early.splice(0)) onEvent(event);

    const send = async (what: { text: string } | { path: string }): Promise<void> => {
      try {
        let result;
        if ('path' in what) {
          const file = readSendableFile(what.path);
          result = await api.sendFile(contact, file.name, file.data);
        } else {
          checkTextSize(what.text);
          result = await api.sendText(contact, what.text);
        }
        const m = result.message;
        if (!known.has(m.id)) {
          known.set(m.id, m);
          print(messageLine(m));
        }
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

    let status = 0;
    await new Promise<void>((done) => {
      const reader = createInterface({ input: process.stdin, output: process.stdout, terminal: tty, prompt: tty ? `${printable(contact)}> ` : '' });
      rl = reader;
      let work: Promise<void> = Promise.resolve();
      let quitRequested = false; // /quit, Ctrl-C or the daemon gone: later lines are dropped
      let inputEnded = false; // the reader closed (also at end of input: earlier lines still run)
      let finished = false;
      const quit = (): void => {
        quitRequested = true;
        if (!inputEnded) reader.close();
      };
      reader.on('line', (line) => {
        // One line at a time, in order; /quit and end of input wait for the sends before them.
        work = work
          .then(async () => {
            if (quitRequested) return;
            if ((await handle(line)) === 'quit') quit();
            else if (tty && !inputEnded) reader.prompt();
          })
          .catch((err: Error) => print(`! ${printable(err.message)}`));
      });
      reader.on('SIGINT', quit);
      reader.on('close', () => {
        inputEnded = true;
        rl = null;
        void work.then(() => {
          finished = true;
          done();
        });
      });
      void api.closed.then(() => {
        if (finished || quitRequested) return;
        print('the chaff client daemon stopped; leaving the chat');
        status = 1;
        quit();
        if (inputEnded) done();
      });
      if (tty) reader.prompt();
    });
    await markRead.settled();
    return status;
  } finally {
    unsubscribe();
  }
}
