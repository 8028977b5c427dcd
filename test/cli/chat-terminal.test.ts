// The interactive chat as its user sees it (cli/client/chat-repl.ts,
// group-chat-repl.ts, repl.ts): on a terminal double that keeps a screen
// (test/helpers/vt-screen.ts) a message is one line whose mark is rewritten
// where it is, what is typed is never torn, and a line that scrolled away
// gets its change printed below; piped, the output is plain lines. Also the
// lines themselves (days, names, marks, colour), /save, and the connection
// state. The daemon is a fake in this process.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { ClientEvent, ClientStatus, ConnectionInfo, ContactInfo, GroupInfo, GroupPostInfo, MessageRecord } from '../../client/api.js';
import type { ClientApiConnection } from '../../client/rpc/client.js';
import { parseChatLine } from '../../cli/client/chat-input.js';
import { chatRepl } from '../../cli/client/chat-repl.js';
import { defaultSaveName } from '../../cli/client/chat-save.js';
import { dayLine, messageLine, nameColumn } from '../../cli/client/format.js';
import { groupChatRepl } from '../../cli/client/group-chat-repl.js';
import type { ChatTerminal } from '../../cli/client/repl.js';
import { COLOURED, paintFor, screenRows, widthRange } from '../../cli/client/terminal-text.js';
import { unavailableApi } from '../helpers/groups-unavailable.js';
import { KeyboardInput, VtScreen } from '../helpers/vt-screen.js';
import { waitFor } from '../helpers/wait.js';

// Local time, so the days are the days of whoever runs the test.
const NOW = new Date(2026, 11, 7, 12, 0, 30).getTime();
const at = (daysAgo: number, h: number, m: number): number => new Date(2026, 11, 7 - daysAgo, h, m).getTime();
const BOB: ContactInfo = { name: 'bob', address: 'chaff1bob', verified: true, keyChanged: false, held: 0, addedMs: 0 };

function message(over: Partial<MessageRecord> & Pick<MessageRecord, 'id' | 'direction' | 'content'>): MessageRecord {
  return { contact: 'bob', state: over.direction === 'in' ? 'delivered' : 'queued', sentMs: NOW, deliveredMs: null, readMs: null, fragments: 1, retransmissions: 0, ...over };
}
const id = (n: number): string => n.toString(16).padStart(32, '0');

function connection(online: boolean, sinceMs: number): ConnectionInfo {
  return {
    online,
    document: { verified: true, epoch: 7, sinceMs: 0 },
    gateway: { connected: online, sinceMs, error: online ? null : 'connect ECONNREFUSED 127.0.0.1:4000' },
  };
}

/** A daemon as the chat uses it: history, sends, events pushed by the test. */
class FakeDaemon {
  messages: MessageRecord[] = [];
  posts: GroupPostInfo[] = [];
  group: GroupInfo | null = null;
  status: Partial<ClientStatus> = {};
  listeners = new Set<(e: ClientEvent) => void>();
  #n = 100;
  #end: () => void = () => {};
  readonly closed = new Promise<void>((resolve) => (this.#end = resolve));

  emit(e: ClientEvent): void {
    for (const l of this.listeners) l(e);
  }
  goAway(): void {
    this.#end();
  }

  api(): ClientApiConnection {
    return {
      ...unavailableApi(),
      closed: this.closed,
      ended: false,
      close: async () => {},
      status: async () => this.status as ClientStatus,
      listContacts: async () => [BOB],
      history: async (_contact: string, limit = 50) => this.messages.slice(-limit),
      markRead: async () => 0,
      sendText: async (contact: string, text: string) => {
        const m = message({ id: id(++this.#n), direction: 'out', content: { text }, contact });
        this.messages.push(m);
        return { message: m };
      },
      groupList: async () => (this.group ? [this.group] : []),
      groupHistory: async (_group: string, limit = 50) => this.posts.slice(-limit),
      groupMarkRead: async () => 0,
      groupSendText: async (group: string, text: string) => {
        const p: GroupPostInfo = {
          id: id(++this.#n),
          group,
          author: 'aa',
          authorContact: null,
          direction: 'out',
          content: { text },
          sentMs: NOW,
          receivedMs: NOW,
          readMs: null,
          delivery: { bb: 'sent' },
        };
        this.posts.push(p);
        return p;
      },
      subscribe: (listener: (e: ClientEvent) => void) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
    };
  }
}

/** Plain text out, as when piped. */
class Collected extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _e: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function onScreen(columns: number, rows: number, env: NodeJS.ProcessEnv = { NO_COLOR: '1' }): { terminal: ChatTerminal; screen: VtScreen; keys: KeyboardInput } {
  const screen = new VtScreen(columns, rows);
  const keys = new KeyboardInput();
  return { terminal: { input: keys, output: screen, env }, screen, keys };
}

/** Waits for the screen to show something; on a timeout, says what it shows. */
function see(screen: VtScreen, what: string, probe: () => boolean): Promise<true> {
  return waitFor(what, probe, { timeoutMs: 3000, detail: () => JSON.stringify(screen.lines(), null, 1) });
}

describe('chaff client chat: lines', function () {
  it('a line per message: the time, the sender ("you" or the name, padded so texts start in one column), the mark', function () {
    const layout = { nameWidth: nameColumn(['you', 'alice']), clock: 'time' as const };
    const ours = message({ id: id(1), direction: 'out', content: { text: 'see you\nat 8' }, state: 'read', sentMs: at(0, 9, 5), contact: 'alice' });
    const theirs = message({ id: id(2), direction: 'in', content: { text: 'ok' }, sentMs: at(3, 23, 59), contact: 'alice' });
    assert.equal(messageLine(ours, NOW, layout), '[09:05] you:   see you\n               at 8  ✓✓ read');
    assert.equal(messageLine(theirs, NOW, layout), '[23:59] alice: ok');
    assert.equal(messageLine({ ...ours, state: 'failed', error: 'no ack after 8 attempts' }, NOW, layout).split('\n')[1], '               at 8  ✗ no ack after 8 attempts');
    // Without the chat's layout (inbox, history): the date unless today.
    assert.equal(messageLine(theirs, NOW), `[2026-12-04 23:59] alice: ok`);
  });

  it('a day line above each day: today, yesterday, else the date; a saved chat always says the date', function () {
    assert.equal(dayLine(at(0, 0, 1), NOW), '── today ──');
    assert.equal(dayLine(at(1, 23, 59), NOW), '── yesterday ──');
    assert.equal(dayLine(at(2, 10, 0), NOW), '── Saturday 5 December 2026 ──');
    assert.equal(dayLine(at(0, 10, 0), null), '── Monday 7 December 2026 ──');
  });

  it('colour on a terminal only, and never with NO_COLOR; what a contact wrote is never coloured', function () {
    assert.equal(paintFor({ isTTY: true }, {}), COLOURED);
    assert.notEqual(paintFor({ isTTY: true }, { NO_COLOR: '1' }), COLOURED);
    assert.notEqual(paintFor({ isTTY: false }, {}), COLOURED);
    const line = messageLine(message({ id: id(1), direction: 'in', content: { text: 'hi' } }), NOW, { nameWidth: 3, clock: 'time', paint: COLOURED });
    assert.equal(line, '\u001b[2m[12:00]\u001b[22m \u001b[1m\u001b[36mbob\u001b[39m\u001b[22m: hi');
    assert.equal(widthRange(line).min, '[12:00] bob: hi'.length);
  });

  it('the rows a line takes: wrapped at the width, wide characters two columns, emoji sequences unknown', function () {
    assert.equal(screenRows('x'.repeat(40), 40), 1);
    assert.equal(screenRows('x'.repeat(41), 40), 2);
    assert.equal(screenRows('a\n\nb', 40), 3);
    assert.equal(screenRows('漢'.repeat(20), 40), 1);
    assert.equal(screenRows('漢'.repeat(21), 40), 2);
    assert.equal(screenRows('😀'.repeat(20), 40), 1);
    assert.equal(screenRows('👍🏽'.repeat(20), 40), null); // 20 to 80 columns, by terminal
    assert.equal(screenRows('👍🏽', 40), 1);
    assert.equal(screenRows('a\tb', 40), 1);
  });

  it('/save and /save! PATH; the default name', function () {
    assert.deepEqual(parseChatLine('/save'), { kind: 'save', path: null, overwrite: false });
    assert.deepEqual(parseChatLine('/save  notes/bob.txt '), { kind: 'save', path: 'notes/bob.txt', overwrite: false });
    assert.deepEqual(parseChatLine('/save! bob.txt'), { kind: 'save', path: 'bob.txt', overwrite: true });
    assert.equal(defaultSaveName('book club', NOW), 'chat-book-club-2026-12-07.txt');
    assert.equal(defaultSaveName('../x', NOW), 'chat-__x-2026-12-07.txt');
  });
});

describe('chaff client chat: on a terminal', function () {
  this.timeout(10_000);
  let daemon: FakeDaemon;
  beforeEach(() => (daemon = new FakeDaemon()));

  it('what is typed becomes a message line; its mark changes in place, above what is being typed', async function () {
    daemon.messages.push(message({ id: id(1), direction: 'out', content: { text: 'old one' }, state: 'delivered', sentMs: at(2, 14, 3) }));
    daemon.messages.push(message({ id: id(2), direction: 'in', content: { text: 'are you there?' }, sentMs: at(0, 11, 58) }));
    const { terminal, screen, keys } = onScreen(60, 12);
    const chat = chatRepl(daemon.api(), 'bob', { terminal, now: () => NOW });
    await see(screen, 'the prompt', () => screen.lines().includes('you>'));
    assert.deepEqual(screen.lines().slice(0, 6), [
      'chat with bob (verified). /help lists the commands.',
      '── Saturday 5 December 2026 ──',
      '[14:03] you: old one  ✓✓',
      '── today ──',
      '[11:58] bob: are you there?',
      'you>',
    ]);

    keys.type('yes, here\r');
    await see(screen, 'our line', () => screen.lines()[5] === '[12:00] you: yes, here  ·');
    assert.equal(screen.lines()[6], 'you>');
    assert.ok(!screen.lines().some((l) => l.includes('you> yes')), 'the typed line is taken off the screen');

    keys.type('half a thought');
    await see(screen, 'the typing', () => screen.lines()[6] === 'you> half a thought');
    const sent = daemon.messages[2];
    daemon.emit({ type: 'state', message: { ...sent, state: 'sent' } });
    daemon.emit({ type: 'state', message: { ...sent, state: 'delivered', deliveredMs: NOW + 3400 } });
    daemon.emit({ type: 'state', message: { ...daemon.messages[0], state: 'read', readMs: NOW } });
    await see(screen, 'the marks', () => screen.lines()[5] === '[12:00] you: yes, here  ✓✓' && screen.lines()[2] === '[14:03] you: old one  ✓✓ read');
    assert.equal(screen.lines()[6], 'you> half a thought', 'what is typed is untouched');
    assert.deepEqual(screen.cursor(), { row: 6, column: 'you> half a thought'.length });
    assert.equal(screen.lines()[7], '', 'nothing was printed below');
    assert.ok(!screen.written.includes('→'), 'no state lines');

    // A live message goes above the prompt, which is drawn again with what is typed.
    daemon.emit({ type: 'message', message: message({ id: id(3), direction: 'in', content: { text: 'good' }, sentMs: NOW }) });
    await see(screen, 'the live message', () => screen.lines()[6] === '[12:00] bob: good');
    assert.equal(screen.lines()[7], 'you> half a thought');
    keys.type('\u0015/quit\r'); // Ctrl-U clears the typing
    assert.equal(await chat, 0);
  });

  it('a typed line that wraps (or fills its row exactly) stays whole, and goes whole when entered', async function () {
    daemon.messages.push(message({ id: id(1), direction: 'out', content: { text: 'first' }, state: 'sent', sentMs: at(0, 9, 0) }));
    const { terminal, screen, keys } = onScreen(30, 12);
    const chat = chatRepl(daemon.api(), 'bob', { terminal, now: () => NOW });
    await see(screen, 'the prompt', () => screen.lines()[4] === 'you>');
    const long = 'abcdefghij'.repeat(4);
    keys.type(long);
    await see(screen, 'the typing', () => screen.lines()[5] === long.slice(25));
    daemon.emit({ type: 'message', message: message({ id: id(2), direction: 'in', content: { text: 'meanwhile' }, sentMs: NOW }) });
    daemon.emit({ type: 'state', message: { ...daemon.messages[0], state: 'delivered' } });
    await see(screen, 'the live message', () => screen.lines()[4] === '[12:00] bob: meanwhile' && screen.lines()[3] === '[09:00] you: first  ✓✓');
    assert.deepEqual(screen.lines().slice(3, 8), ['[09:00] you: first  ✓✓', '[12:00] bob: meanwhile', `you> ${long.slice(0, 25)}`, long.slice(25), '']);
    assert.deepEqual(screen.cursor(), { row: 6, column: 15 });
    keys.type('\r');
    await see(screen, 'our line', () => screen.lines()[5].startsWith('[12:00] you: abcdefghij'));
    assert.deepEqual(screen.lines().slice(5, 9), ['[12:00] you: abcdefghijabcdefg', 'hijabcdefghijabcdefghij  ·', 'you>', '']);

    // Prompt and text fill the row exactly: readline keeps its cursor on the next row.
    const exact = 'x'.repeat(25);
    keys.type(exact);
    await see(screen, 'the typing', () => screen.lines()[7] === `you> ${exact}`);
    daemon.emit({ type: 'state', message: { ...daemon.messages[1], state: 'delivered' } });
    await see(screen, 'the mark', () => screen.lines()[6] === 'hijabcdefghijabcdefghij  ✓✓');
    keys.type('\r');
    await see(screen, 'our second line', () => screen.lines()[7] === `[12:00] you: ${'x'.repeat(17)}`);
    assert.deepEqual(screen.lines().slice(7, 11), [`[12:00] you: ${'x'.repeat(17)}`, 'xxxxxxxx  ·', 'you>', '']);
    daemon.emit({ type: 'state', message: { ...daemon.messages[0], state: 'read' } });
    await see(screen, 'the first mark', () => screen.lines()[3] === '[09:00] you: first  ✓✓ read');
    assert.equal(screen.lines()[9], 'you>');

    // The same typed key by key: readline redraws as the line wraps.
    for (const key of 'y'.repeat(25)) keys.type(key);
    await see(screen, 'the keys', () => screen.lines()[9] === `you> ${'y'.repeat(25)}`);
    daemon.emit({ type: 'state', message: { ...daemon.messages[2], state: 'sent' } });
    await see(screen, 'the mark', () => screen.lines()[8] === 'xxxxxxxx  ✓');
    assert.deepEqual(screen.lines().slice(9, 11), [`you> ${'y'.repeat(25)}`, '']);
    assert.deepEqual(screen.cursor(), { row: 10, column: 0 });
    keys.type('\r');
    await see(screen, 'our third line', () => screen.lines()[9] === `[12:00] you: ${'y'.repeat(17)}`);
    assert.deepEqual(screen.lines().slice(9, 12), [`[12:00] you: ${'y'.repeat(17)}`, 'yyyyyyyy  ·', 'you>']);
    keys.type('/quit\r');
    assert.equal(await chat, 0);
  });

  it('a line that scrolled away: its change is printed below, and that line changes in place after', async function () {
    for (let i = 0; i < 8; i++) daemon.messages.push(message({ id: id(i + 1), direction: 'out', content: { text: `line ${i}` }, state: 'sent', sentMs: at(0, 9, i) }));
    const { terminal, screen, keys } = onScreen(60, 6);
    const chat = chatRepl(daemon.api(), 'bob', { terminal, now: () => NOW });
    await see(screen, 'the prompt', () => screen.lines().at(-1) === 'you>');
    daemon.emit({ type: 'state', message: { ...daemon.messages[0], state: 'delivered', deliveredMs: at(0, 9, 0) + 1200 } });
    await see(screen, 'the change', () => screen.lines().at(-2) === '→ delivered (1.2 s): "line 0"');
    assert.ok(!screen.scrolledOff.some((l) => l.includes('line 0  ✓✓')), 'the line off the screen was not written to');
    daemon.emit({ type: 'state', message: { ...daemon.messages[0], state: 'read', deliveredMs: at(0, 9, 0) + 1200, readMs: at(0, 9, 0) + 5000 } });
    await see(screen, 'the next change', () => screen.lines().at(-2) === '→ read (5.0 s): "line 0"');
    assert.equal(screen.lines().at(-1), 'you>');
    // The last line is still on the screen: changed in place.
    daemon.emit({ type: 'state', message: { ...daemon.messages[7], state: 'delivered' } });
    await see(screen, 'in place', () => screen.lines().includes('[09:07] you: line 7  ✓✓'));
    keys.type('/quit\r');
    assert.equal(await chat, 0);
  });

  it('offline and back: a line each, and the prompt says so meanwhile', async function () {
    daemon.status = { connection: connection(false, at(0, 11, 57)) };
    const { terminal, screen, keys } = onScreen(100, 10);
    const chat = chatRepl(daemon.api(), 'bob', { terminal, now: () => NOW });
    await see(screen, 'the prompt', () => screen.lines().some((l) => l.startsWith('you (offline)>')));
    assert.match(screen.lines()[1], /^! OFFLINE: gateway not reached since 11:57 \(3m 30s\): connect ECONNREFUSED/);
    daemon.emit({ type: 'connection', connection: connection(true, NOW) });
    await see(screen, 'back', () => screen.lines().includes('✓ back online after 3m 30s offline: queued messages go out now'));
    await see(screen, 'the prompt', () => screen.lines().includes('you>'));
    keys.type('/quit\r');
    assert.equal(await chat, 0);
  });

  it('the daemon going away ends the chat (exit status 1) and leaves no prompt behind', async function () {
    const { terminal, screen, keys } = onScreen(60, 8);
    const chat = chatRepl(daemon.api(), 'bob', { terminal, now: () => NOW });
    await see(screen, 'the prompt', () => screen.lines().includes('you>'));
    keys.type('unsent');
    await see(screen, 'the typing', () => screen.lines().includes('you> unsent'));
    daemon.goAway();
    assert.equal(await chat, 1);
    assert.deepEqual(screen.lines().slice(0, 3), ['chat with bob (verified). /help lists the commands.', 'the chaff client daemon stopped; leaving the chat', '']);
    assert.deepEqual(screen.cursor(), { row: 2, column: 0 });
  });

  it('the group chat: a post is one line; its marks per member change in place', async function () {
    daemon.group = {
      id: 'ab'.repeat(16),
      name: 'book club',
      status: 'joined',
      admin: true,
      unread: 0,
      members: [
        { key: 'aa', contact: null, self: true, status: 'joined', admin: true },
        { key: 'bb', contact: 'bob', self: false, status: 'joined', admin: false },
      ],
    } as GroupInfo;
    const { terminal, screen, keys } = onScreen(80, 10);
    const chat = groupChatRepl(daemon.api(), 'book club', { terminal, now: () => NOW });
    await see(screen, 'the prompt', () => screen.lines().includes('you>'));
    keys.type('chapter 3\r');
    await see(screen, 'the post', () => screen.lines().includes('[12:00] you: chapter 3  · 0/1'));
    daemon.emit({ type: 'group-delivery', group: daemon.group.id, post: daemon.posts[0].id, member: 'bb', state: 'read' });
    await see(screen, 'read', () => screen.lines().includes('[12:00] you: chapter 3  ✓✓ read 1/1'));
    assert.ok(!screen.written.includes('→'));
    keys.type('/quit\r');
    assert.equal(await chat, 0);
  });
});

describe('chaff client chat: piped', function () {
  this.timeout(10_000);
  let dir: string;
  let daemon: FakeDaemon;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chaff-chat-'));
    daemon = new FakeDaemon();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('plain lines, one per change, no escape sequences; /save writes the conversation and will not replace a file unasked', async function () {
    daemon.messages.push(message({ id: id(1), direction: 'in', content: { text: 'hi' }, sentMs: at(1, 20, 0) }));
    daemon.status = { connection: connection(true, 0) };
    const input = new PassThrough();
    const output = new Collected();
    const chat = chatRepl(daemon.api(), 'bob', { terminal: { input, output, env: {} }, now: () => NOW });
    input.write('hello\n');
    await waitFor('our line', () => output.text.includes('[12:00] you: hello  ·\n'));
    const ours = daemon.messages[1];
    daemon.emit({ type: 'state', message: { ...ours, state: 'delivered', deliveredMs: NOW + 2500 } });
    daemon.emit({ type: 'state', message: { ...ours, state: 'delivered', deliveredMs: NOW + 2500 } });
    daemon.emit({ type: 'connection', connection: connection(false, NOW) });
    daemon.emit({ type: 'connection', connection: connection(false, NOW) });
    await waitFor('the state line', () => output.text.includes('OFFLINE'));
    ours.state = 'delivered';
    const file = join(dir, 'bob.txt');
    input.write(`/save ${file}\n/save ${file}\n/save! ${file}\n/help\n`);
    input.end();
    assert.equal(await chat, 0);

    assert.ok(!output.text.includes('\u001b'), 'no escape sequences');
    const lines = output.text.split('\n');
    assert.deepEqual(lines.slice(0, 5), ['chat with bob (verified). /help lists the commands.', '── yesterday ──', '[20:00] bob: hi', '── today ──', '[12:00] you: hello  ·']);
    assert.equal(lines.filter((l) => l === '→ delivered (2.5 s): "hello"').length, 1);
    assert.equal(lines.filter((l) => l.startsWith('! OFFLINE')).length, 1);
    assert.deepEqual(
      lines.filter((l) => l.includes(file)),
      [`saved 2 messages to ${file}`, `! ${file} exists; /save! ${file} replaces it, or give another name`, `saved 2 messages to ${file}`],
    );
    assert.ok(
      lines.some((l) => l.startsWith('/save [PATH]')),
      '/help lists /save',
    );
    assert.equal(
      readFileSync(file, 'utf8'),
      ['chat with bob, saved 2026-12-07 12:00 (2 messages)', '', '── Sunday 6 December 2026 ──', '[20:00] bob: hi', '', '── Monday 7 December 2026 ──', '[12:00] you: hello  ✓✓', ''].join('\n'),
    );
    assert.equal(statSync(file).mode & 0o077, 0, 'readable by its owner alone');
  });

  it('/save into a folder that does not exist says so', async function () {
    const input = new PassThrough();
    const output = new Collected();
    const chat = chatRepl(daemon.api(), 'bob', { terminal: { input, output, env: {} }, now: () => NOW });
    input.end(`/save ${join(dir, 'no', 'such.txt')}\n`);
    assert.equal(await chat, 0);
    assert.match(output.text, /! cannot write .*such\.txt: there is no folder .*no\n/);
    assert.ok(!existsSync(join(dir, 'no')));
  });
});
