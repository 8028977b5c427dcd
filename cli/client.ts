// `chaff client …`: the messaging client's commands (docs/client.md).
//
// `init` creates a profile and `daemon` runs the client (keys, gateway
// connection, cover traffic); every other command is a front end that talks
// to the running daemon over its local socket (client/rpc, docs/client-api.md).
// Exit status: 0 ok, 1 an error reported by the daemon or the network, 2 a
// usage error. Errors are one line on stderr, never a stack trace.
//
// Everything shown on the terminal that a contact could have chosen (texts,
// file names, addresses in requests) goes through `printable`, so a message
// cannot carry terminal escape sequences to the reader's screen.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ClientError, MAX_MESSAGE_BYTES, type ClientEvent, type ClientStatus, type ContactInfo, type MessageContent, type MessageRecord } from '../client/api.js';
import { connectClientApi, type ClientApiConnection } from '../client/rpc/client.js';
import { clientSocketPath } from '../client/rpc/socket-path.js';
import { PassphraseError, readPassphrase } from './passphrase.js';
import { parseInviteToken } from '../protocol/wire/register.js';

const USAGE = `usage: chaff client <command> [--profile DIR] [options]

commands:
  init --network FILE [--gateway NAME]     create a profile: keys, address, gateway
       [--invite TOKEN]                    (an invite from the gateway's operator, if it asks for one)
  daemon                                   run the client (keep it running: it sends the
                                           cover traffic); the other commands talk to it
  address [--qr] [--json]                  your address, to give to your contacts
  contacts add NAME ADDRESS                add a contact by their address
  contacts list [--json]
  contacts remove NAME
  contacts accept NAME [--unverify]        accept a contact's new identity key (--unverify: a verified one)
  contacts reject NAME                     reject it: the contact keeps its key, the held messages go
  delivery-id rotate                       a new private delivery id for your contacts (one abused the old)
  send NAME TEXT…                          send a text (use -- before a text starting with -)
  send NAME --file PATH                    send a file of at most 1 MiB
  chat NAME                                talk: history with delivery marks, then live
  inbox [--json]                           unread messages and contact requests
  history NAME [--limit N] [--json]        the last N messages with NAME (default 20)
  save MESSAGE_ID [--out PATH]             write a received file to disk
  verify NAME [--mark | --unmark] [--json] the safety number to compare with NAME
  status [--json]                          gateway, epoch, queue, cover traffic, loops

--profile DIR   the profile folder (default $CHAFF_PROFILE, else ~/.chaff/profile)
init and daemon read the passphrase from --passphrase-file FILE, else from
$CHAFF_PASSPHRASE, else ask on the terminal. The guide is docs/client.md.
`;

const OPTIONS = {
  profile: { type: 'string' },
  json: { type: 'boolean' },
  qr: { type: 'boolean' },
  file: { type: 'string' },
  network: { type: 'string' },
  gateway: { type: 'string' },
  invite: { type: 'string' },
  'passphrase-file': { type: 'string' },
  trace: { type: 'string' },
  mark: { type: 'boolean' },
  unmark: { type: 'boolean' },
  unverify: { type: 'boolean' },
  limit: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

interface Context {
  profileDir: string;
  socketPath: string;
  values: Values;
  /** The positionals after the command's name(s). */
  args: string[];
}

interface CommandSpec {
  /** Options besides --profile and --help. */
  options: OptionName[];
  /** Positional arguments: at least, at most. */
  args: [number, number];
  usage: string;
  run(ctx: Context): Promise<number>;
}

/** A mistake in the command line: exit status 2 with the usage. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly usage = '',
  ) {
    super(message);
  }
}

// ─── Formatting ────────────────────────────────────────────────────────────

// C0 and C1 controls except tab and newline, and the bidirectional overrides
// that could make a text read differently from what it is.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** `text` safe to write to a terminal: control characters shown as \u{…}. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** HH:MM today, else YYYY-MM-DD HH:MM (local time). */
function clock(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return new Date(now).toDateString() === d.toDateString() ? hm : `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${hm}`;
}

/** Delivery marks of an outgoing message: queued ·, sent ✓, delivered ✓✓, read ✓✓ read, failed ✗. */
export function deliveryMark(m: MessageRecord): string {
  switch (m.state) {
    case 'queued':
      return '·';
    case 'sent':
      return '✓';
    case 'delivered':
      return '✓✓';
    case 'read':
      return '✓✓ read';
    case 'failed':
      return m.error ? `✗ ${printable(m.error)}` : '✗';
  }
}

function describeContent(content: MessageContent, id?: string): string {
  if (content.file) {
    const f = content.file;
    return `[file ${printable(f.name)}, ${formatBytes(f.size)}${id ? `; chaff client save ${id}` : ''}]${content.text ? ` ${printable(content.text)}` : ''}`;
  }
  return printable(content.text ?? '');
}

/** One message as a chat line: `[12:03] you: hello ✓✓`. Continuation lines are indented. */
export function messageLine(m: MessageRecord, now = Date.now()): string {
  const who = m.direction === 'out' ? 'you' : printable(m.contact);
  const body = describeContent(m.content, m.direction === 'in' ? m.id : undefined).replace(/\n/g, '\n    ');
  return `[${clock(m.sentMs, now)}] ${who}: ${body}${m.direction === 'out' ? `  ${deliveryMark(m)}` : ''}`;
}

function excerpt(content: MessageContent): string {
  const text = content.file ? content.file.name : (content.text ?? '');
  const flat = printable(text.replace(/\s+/g, ' '));
  return flat.length > 24 ? `${flat.slice(0, 23)}…` : flat;
}

/** The line shown when a message of ours changes state: `→ delivered (1.2 s): "hello"`. */
export function stateLine(m: MessageRecord): string {
  const about = `"${excerpt(m.content)}"`;
  switch (m.state) {
    case 'delivered':
      return `→ delivered${m.deliveredMs !== null ? ` (${formatDuration(m.deliveredMs - m.sentMs)})` : ''}: ${about}`;
    case 'read':
      return `→ read${m.readMs !== null ? ` (${formatDuration(m.readMs - m.sentMs)})` : ''}: ${about}`;
    case 'failed':
      return `→ failed: ${about}${m.error ? `: ${printable(m.error)}` : ''}`;
    default:
      return `→ ${m.state}: ${about}`;
  }
}

/** An address cut to its ends for lists (the full one: --json, or `chaff client address`). */
function shortAddress(address: string): string {
  return address.length > 24 ? `${address.slice(0, 14)}…${address.slice(-8)}` : address;
}

function contactLine(c: ContactInfo): string {
  const notes = [c.verified ? 'verified' : 'not verified'];
  if (c.keyChanged) notes.push(`KEY CHANGED, ${c.held} held (chaff client contacts accept${c.verified ? ' --unverify' : ''} ${c.name}, or contacts reject ${c.name})`);
  return `${printable(c.name)}  ${printable(shortAddress(c.address))}  ${notes.join(', ')}`;
}

function keyChangedWarning(name: string): string {
  return `! ${printable(name)}'s identity key changed. Their messages are held and nothing is sent to them until you accept it: compare safety numbers (chaff client verify ${name}), then chaff client contacts accept ${name} (or reject it: chaff client contacts reject ${name})`;
}

function statusText(s: ClientStatus): string {
  const r = s.rates;
  const t = s.traffic;
  const l = s.loops;
  const per = (x: number) => `${Number(x.toPrecision(3))}/s`;
  return [
    `profile   ${s.profile}`,
    `address   ${s.address}`,
    `gateway   ${printable(s.gateway.name)} (${s.gateway.nodeId.slice(0, 16)}…), ${s.gateway.connected ? 'connected' : 'NOT CONNECTED'}`,
    `epoch     ${s.epoch ?? 'none yet'}${s.documentAgeMs !== null ? ` (began ${formatDuration(s.documentAgeMs)} ago)` : ''}`,
    `queue     ${s.queue.queued} queued, ${s.queue.inFlight} in flight, ${s.queue.failed} failed${s.queue.waitingForGateway ? `, ${s.queue.waitingForGateway} waiting for a contact's gateway to return to the network` : ''}`,
    `cover     λP ${per(r.lambdaP)} (real or decoy), λL ${per(r.lambdaL)} (loops), λD ${per(r.lambdaD)} (drop); mean hop delay ${r.mu > 0 ? formatDuration(1000 / r.mu) : '—'}; mailbox fetches ${per(r.fetchPerSecond)}`,
    `sent      ${t.packetsSent.real + t.packetsSent.decoy + t.packetsSent.drop + t.packetsSent.loop} packets: ${t.packetsSent.real} real, ${t.packetsSent.decoy} decoy, ${t.packetsSent.drop} drop, ${t.packetsSent.loop} loop; ${t.retransmissions} retransmissions, ${t.acksReceived} acks`,
    `bandwidth ${formatBytes(t.bytesSent)} sent, ${formatBytes(t.bytesReceived)} received, now ${formatBytes(t.sendRateBps)}/s out`,
    `loops     ${l.sent} sent, ${l.returned} returned, ${l.late} late, ${l.lost} lost, ${l.outstanding} outstanding`,
    `decoys    ${s.decoys.sent} sent, ${s.decoys.returned} ACKs back, ${s.decoys.lost} lost, ${s.decoys.outstanding} outstanding`,
    `uptime    ${formatDuration(s.uptimeMs)}`,
  ].join('\n');
}

// ─── Helpers ───────────────────────────────────────────────────────────────

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function json(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** The profile folder: --profile, else $CHAFF_PROFILE, else ~/.chaff/profile. */
export function resolveProfileDir(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const dir = option ?? (env.CHAFF_PROFILE ? env.CHAFF_PROFILE : join(homedir(), '.chaff', 'profile'));
  return resolve(dir);
}

async function withDaemon<T>(ctx: Context, fn: (api: ClientApiConnection) => Promise<T>): Promise<T> {
  const api = await connectClientApi(ctx.socketPath);
  try {
    return await fn(api);
  } finally {
    await api.close();
  }
}

/** Is a daemon listening on the socket already? (Checked before asking for the passphrase.) */
async function daemonAnswers(socketPath: string): Promise<boolean> {
  try {
    await (await connectClientApi(socketPath, { connectTimeoutMs: 2000 })).close();
    return true;
  } catch {
    return false;
  }
}

/** Reads a file to send, refusing (before anything is sent) one above the limit. */
function readSendableFile(path: string): { name: string; data: string; size: number } {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new ClientError('bad-request', `${path} is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof ClientError) throw err;
    throw new ClientError('not-found', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (size > MAX_MESSAGE_BYTES) {
    throw new ClientError('too-large', `${path} is ${formatBytes(size)} (${size} bytes); files up to ${formatBytes(MAX_MESSAGE_BYTES)} (${MAX_MESSAGE_BYTES} bytes) can be sent`);
  }
  const bytes = readFileSync(path);
  if (bytes.length > MAX_MESSAGE_BYTES) throw new ClientError('too-large', `${path} grew to ${bytes.length} bytes while being read; the limit is ${MAX_MESSAGE_BYTES}`);
  return { name: basename(path), data: bytes.toString('base64'), size: bytes.length };
}

function checkTextSize(text: string): void {
  const size = Buffer.byteLength(text);
  if (size > MAX_MESSAGE_BYTES) throw new ClientError('too-large', `the text is ${formatBytes(size)} (${size} bytes); messages up to ${formatBytes(MAX_MESSAGE_BYTES)} can be sent`);
}

/** A file name from a contact, made safe to use in the current folder. */
function safeFileName(name: string): string {
  const base = name.replace(/[/\\]/g, '_').replace(UNSAFE, '_').replace(/^\.+/, '_');
  return base === '' ? 'received-file' : base;
}

function waitForSignal(): Promise<string> {
  return new Promise((resolveSignal) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveSignal(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

// ─── Chat ──────────────────────────────────────────────────────────────────

const CHAT_HISTORY = 50;

const CHAT_HELP = `/file PATH   send a file (at most 1 MiB)
/verify      show the safety number to compare with your contact
/quit        leave (Ctrl-D works too)
//text       send a text that starts with /`;

/** The interactive chat with one contact. Resolves with the exit status. */
async function chat(api: ClientApiConnection, contact: string): Promise<number> {
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

  // Incoming messages are marked read while the chat is open; calls coalesce.
  let marking: Promise<void> | null = null;
  let markAgain = false;
  const markRead = (): void => {
    if (marking) {
      markAgain = true;
      return;
    }
    marking = api
      .markRead(contact)
      .then(
        () => {},
        (err: Error) => print(`! cannot mark messages read: ${printable(err.message)}`),
      )
      .finally(() => {
        marking = null;
        if (markAgain) {
          markAgain = false;
          markRead();
        }
      });
  };

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
      const command = line.trim();
      if (command === '') return;
      if (line.startsWith('//')) return send({ text: line.slice(1) });
      if (!command.startsWith('/')) return send({ text: line });
      const [word] = command.split(/\s/, 1);
      const rest = command.slice(word.length).trim();
      switch (word) {
        case '/quit':
        case '/exit':
          return 'quit';
        case '/help':
          return print(CHAT_HELP);
        case '/verify':
          return verify();
        case '/file':
          return rest === '' ? print('usage: /file PATH') : send({ path: rest });
        default:
          return print(`unknown command ${printable(word)} (/help lists them)`);
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
    if (marking) await marking;
    return status;
  } finally {
    unsubscribe();
  }
}

// ─── Commands ──────────────────────────────────────────────────────────────

const COMMANDS: Record<string, CommandSpec> = {
  init: {
    options: ['network', 'gateway', 'invite', 'passphrase-file'],
    args: [0, 0],
    usage: 'chaff client init --network FILE [--gateway NAME] [--invite TOKEN] [--passphrase-file FILE]',
    async run(ctx) {
      const network = ctx.values.network ?? process.env.CHAFF_NETWORK;
      if (!network) throw new UsageError('init needs --network FILE: the network file (authorities) your network publishes', this.usage);
      let inviteToken: Uint8Array | undefined;
      try {
        inviteToken = ctx.values.invite === undefined ? undefined : parseInviteToken(ctx.values.invite);
      } catch (err) {
        throw new UsageError(`--invite: ${(err as Error).message}`, this.usage);
      }
      const passphrase = await readPassphrase({ file: ctx.values['passphrase-file'], env: process.env, input: process.stdin, confirm: true });
      const { initProfile } = await import('../client/init.js');
      const created = await initProfile({ profileDir: ctx.profileDir, passphrase, network, ...(ctx.values.gateway !== undefined ? { gateway: ctx.values.gateway } : {}), ...(inviteToken ? { inviteToken } : {}) });
      out(`created the profile ${ctx.profileDir}\naddress  ${created.address}\ngateway  ${printable(created.gateway)}\n\nnext: chaff client daemon   (keep it running; it sends your cover traffic)`);
      return 0;
    },
  },
  daemon: {
    options: ['passphrase-file', 'trace'],
    args: [0, 0],
    usage: 'chaff client daemon [--passphrase-file FILE] [--trace FILE (test networks only)]',
    async run(ctx) {
      if (await daemonAnswers(ctx.socketPath)) throw new ClientError('unavailable', `a chaff client daemon is already running for profile ${ctx.profileDir}`);
      const passphrase = await readPassphrase({ file: ctx.values['passphrase-file'], env: process.env, input: process.stdin });
      const { startClientDaemon } = await import('../client/daemon.js');
      const running = await startClientDaemon({ profileDir: ctx.profileDir, passphrase, log: (line: string) => process.stderr.write(`${line}\n`), ...(ctx.values.trace ? { tracePath: ctx.values.trace } : {}) });
      process.stderr.write(`chaff client daemon: running for profile ${ctx.profileDir} (socket ${running.socketPath}); Ctrl-C stops it\n`);
      const signal = await waitForSignal();
      process.stderr.write(`chaff client daemon: ${signal}, stopping\n`);
      await running.stop();
      return 0;
    },
  },
  address: {
    options: ['qr', 'json'],
    args: [0, 0],
    usage: 'chaff client address [--qr] [--json]',
    run: (ctx) =>
      withDaemon(ctx, async (api) => {
        const { address } = await api.address();
        if (ctx.values.json) json({ address });
        else if (ctx.values.qr) {
          const QRCode = (await import('qrcode')).default;
          // Upper case: bech32 allows it and QR's alphanumeric mode packs it tighter (BIP 173), version 12 instead of 15.
          out(await QRCode.toString(address.toUpperCase(), { type: 'terminal', small: true }));
          out(address);
        } else out(address);
        return 0;
      }),
  },
  'contacts add': {
    options: [],
    args: [2, 2],
    usage: 'chaff client contacts add NAME ADDRESS',
    run: (ctx) =>
      withDaemon(ctx, async (api) => {
        const c = await api.addContact(ctx.args[0], ctx.args[1]);
        out(`added ${printable(c.name)}. Compare safety numbers with them: chaff client verify ${c.name}`);
        return 0;
      }),
  },
  'contacts list': {
    options: ['json'],
    args: [0, 0],
    usage: 'chaff client contacts list [--json]',
    run: (ctx) =>
      withDaemon(ctx, async (api) => {
        const contacts = await api.listContacts();
        if (ctx.values.json) json(contacts);
        else if (contacts.length === 0) out('no contacts yet (chaff client contacts add NAME ADDRESS)');
        else out(contacts.map(contactLine).join('\n'));
        return 0;
      }),
  },
  'contacts remove': {
    options: [],
    args: [1, 1],
    usage: 'chaff client contacts remove NAME',
    run: (ctx) =>
      withDaemon(ctx, async (api) => {
        await api.removeContact(ctx.args[0]);
        out(`removed ${printable(ctx.args[0])}`);
        return 0;
      }),
  },
  'contacts accept': {
    options: ['unverify'],
    args: [1, 1],
    usage: 'chaff client contacts accept NAME [--unverify]   (--unverify: required for a verified contact)',
    run: (ctx) =>
      withDaemon(ctx, async (api) => {
        const c = await api.acceptContactKey(ctx.args[0], ctx.values.unverify === true);
        out(`accepted the new identity key of ${printable(c.name)}; held messages are now in the chat. Compare safety numbers again: chaff client verify ${c.name}`);
        return 0;
      }),
  },
  'contacts reject': {
    options: [],
    args: [1, 1],
    usage: 'chaff client contacts reject NAME',
    run: (ctx) =>
      withDaemon(ctx, async (api) => {
        const c = await api.rejectContactKey(ctx.args[0]);
        out(`rejected the new identity key offered for ${printable(c.name)}; its held messages are deleted and ${printable(c.name)} keeps the key you had`);
        return 0;
      }),
  },
  send: {
    options: ['file', 'json'],
    args: [1, Infinity],
    usage: 'chaff client send NAME TEXT…   or   chaff client send NAME --file PATH',
    async run(ctx) {
      const [contact, ...words] = ctx.args;
      const path = ctx.values.file;
      if (path !== undefined && words.length > 0) throw new UsageError('send takes a text or --file PATH, not both', this.usage);
      if (path === undefined && words.length === 0) throw new UsageError('send needs a text or --file PATH', this.usage);
      // Read and check before connecting: nothing is sent when the file is too large.
      const file = path !== undefined ? readSendableFile(path) : null;
      const text = words.join(' ');
      if (!file) checkTextSize(text);
      return withDaemon(ctx, async (api) => {
        const { message } = file ? await api.sendFile(contact, file.name, file.data) : await api.sendText(contact, text);
        if (ctx.values.json) json(message);
        else out(`queued for ${printable(contact)}: ${excerpt(message.content)} (message ${message.id}, ${message.fragments} fragment${message.fragments === 1 ? '' : 's'}; chaff client chat ${contact} shows when it arrives)`);
        return 0;
      });
    },
  },
  chat: {
    options: [],
    args: [1, 1],
    usage: 'chaff client chat NAME',
    run: (ctx) => withDaemon(ctx, (api) => chat(api, ctx.args[0])),
  },
  inbox: {
    options: ['json'],
    args: [0, 0],
    usage: 'chaff client inbox [--json]',
    run: (ctx) =>
      withDaemon(ctx, async (api) => {
        const box = await api.inbox();
        if (ctx.values.json) {
          json(box);
          return 0;
        }
        if (box.unread.length === 0 && box.requests.length === 0) {
          out('nothing unread');
          return 0;
        }
        const byContact = new Map<string, MessageRecord[]>();
        for (const m of box.unread) byContact.set(m.contact, [...(byContact.get(m.contact) ?? []), m]);
        const lines: string[] = [];
        for (const [name, messages] of byContact) {
          lines.push(`${printable(name)}: ${messages.length} unread (chaff client chat ${name})`);
          for (const m of messages) lines.push(`  ${messageLine(m)}`);
        }
        if (box.requests.length > 0) {
          lines.push(`contact requests (someone who has your address; add them to read their messages):`);
          for (const r of box.requests) {
            lines.push(`  ${printable(r.address)}: ${r.messages} message${r.messages === 1 ? '' : 's'} since ${clock(r.firstMs)}, safety number ${printable(r.safetyNumber)}`);
            lines.push(`    chaff client contacts add NAME ${printable(r.address)}`);
          }
        }
        out(lines.join('\n'));
        return 0;
      }),
  },
  history: {
    options: ['limit', 'json'],
    args: [1, 1],
    usage: 'chaff client history NAME [--limit N] [--json]',
    async run(ctx) {
      const limit = ctx.values.limit === undefined ? 20 : Number(ctx.values.limit);
      if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError('--limit takes a whole number of messages, 1 or more', this.usage);
      return withDaemon(ctx, async (api) => {
        const messages = await api.history(ctx.args[0], limit);
        if (ctx.values.json) json(messages);
        else out(messages.length === 0 ? 'no messages yet' : messages.map((m) => messageLine(m)).join('\n'));
        return 0;
      });
    },
  },
  save: {
    options: ['out'],
    args: [1, 1],
    usage: 'chaff client save MESSAGE_ID [--out PATH]',
    run: (ctx) =>
      withDaemon(ctx, async (api) => {
        const file = await api.fileData(ctx.args[0]);
        const path = ctx.values.out ?? safeFileName(file.name);
        const bytes = Buffer.from(file.data, 'base64');
        try {
          writeFileSync(path, bytes, { flag: 'wx', mode: 0o600 });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw new ClientError('bad-request', code === 'EEXIST' ? `${path} exists; choose another name with --out PATH` : `cannot write ${path}: ${code ?? (err as Error).message}`);
        }
        out(`saved ${printable(file.name)} (${formatBytes(bytes.length)}) to ${printable(path)}`);
        return 0;
      }),
  },
  'delivery-id rotate': {
    options: [],
    args: [0, 0],
    usage: 'chaff client delivery-id rotate',
    run: (ctx) =>
      withDaemon(ctx, async (api) => {
        const r = await api.rotateDeliveryId();
        out(`a new delivery id is registered with your gateway and on its way to your ${r.contacts} contact${r.contacts === 1 ? '' : 's'}; the old one no longer reaches your mailbox (remove a contact who abused it before rotating)`);
        return 0;
      }),
  },
  verify: {
    options: ['mark', 'unmark', 'json'],
    args: [1, 1],
    usage: 'chaff client verify NAME [--mark | --unmark] [--json]',
    async run(ctx) {
      const name = ctx.args[0];
      if (ctx.values.mark && ctx.values.unmark) throw new UsageError('--mark and --unmark exclude each other', this.usage);
      return withDaemon(ctx, async (api) => {
        if (ctx.values.mark || ctx.values.unmark) await api.markVerified(name, Boolean(ctx.values.mark));
        const v = await api.verify(name);
        if (ctx.values.json) {
          json(v);
          return 0;
        }
        out(`safety number with ${printable(name)}:\n\n    ${printable(v.safetyNumber)}\n`);
        out(
          v.verified
            ? `${printable(name)} is marked verified.`
            : `Compare it with ${printable(name)} in person or on a call (not in this chat). If theirs is the same: chaff client verify ${name} --mark`,
        );
        return 0;
      });
    },
  },
  status: {
    options: ['json'],
    args: [0, 0],
    usage: 'chaff client status [--json]',
    run: (ctx) =>
      withDaemon(ctx, async (api) => {
        const s = await api.status();
        if (ctx.values.json) json(s);
        else out(statusText(s));
        return 0;
      }),
  },
};

function lookup(positionals: string[]): { name: string; spec: CommandSpec; args: string[] } | null {
  const [first, second, ...rest] = positionals;
  if (first === 'contacts') {
    const name = `contacts ${second}`;
    return second !== undefined && Object.hasOwn(COMMANDS, name) ? { name, spec: COMMANDS[name], args: rest } : null;
  }
  if (first === undefined || !Object.hasOwn(COMMANDS, first)) return null;
  return { name: first, spec: COMMANDS[first], args: positionals.slice(1) };
}

function usageFailure(message: string, usage = ''): number {
  process.stderr.write(`chaff client: ${message}\n${usage ? `usage: ${usage}\n` : `\n${USAGE}`}`);
  return 2;
}

export async function clientCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (err) {
    return usageFailure((err as Error).message);
  }
  const values = parsed.values as Values;
  const positionals = parsed.positionals;
  if (positionals[0] === 'help' || (values.help && positionals.length === 0)) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length === 0) return usageFailure('which command?');
  const found = lookup(positionals);
  if (!found) {
    const what = positionals[0] === 'contacts' ? `contacts ${positionals[1] ?? ''}`.trim() : positionals[0];
    return usageFailure(`unknown command "${printable(what)}"`);
  }
  const { name, spec, args } = found;
  if (values.help) {
    process.stdout.write(`usage: ${spec.usage}\n`);
    return 0;
  }
  const stray = (Object.keys(values) as OptionName[]).find((k) => k !== 'profile' && k !== 'help' && !spec.options.includes(k));
  if (stray) return usageFailure(`${name} does not take --${stray}`, spec.usage);
  if (args.length < spec.args[0]) return usageFailure(`${name}: missing argument${spec.args[0] - args.length > 1 ? 's' : ''}`, spec.usage);
  if (args.length > spec.args[1]) return usageFailure(`${name}: unexpected argument "${printable(args[spec.args[1]])}"`, spec.usage);
  const profileDir = resolveProfileDir(values.profile);
  try {
    return await spec.run({ profileDir, socketPath: clientSocketPath(profileDir), values, args });
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err.message, err.usage);
    if (err instanceof PassphraseError) {
      process.stderr.write(`chaff client: ${err.message}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`chaff client: ${printable(message.split('\n')[0])}\n`);
    return 1;
  }
}
