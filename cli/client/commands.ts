// `chaff client …`: the messaging client's commands (docs/client.md).
//
// `init` creates a profile and `daemon` runs the client (keys, gateway
// connection, cover traffic); every other command is a front end that talks
// to the running daemon over its local socket (client/rpc, docs/client-api.md).
// Exit status: 0 ok, 1 an error reported by the daemon or the network, 2 a
// usage error (a bad command line, or no usable passphrase). Errors are one
// line on stderr, `chaff client: …`, never a stack trace (client-command.ts).
// The group commands are in group-commands.ts, the handle commands in
// handle-commands.ts.

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ClientError, type MessageRecord } from '../../client/api.js';
import type { ClientApiConnection } from '../../client/rpc/client.js';
import { parseInviteToken } from '../../protocol/wire/register.js';
import { ChaffCommand, EXIT_OK } from '../command.js';
import { ACCEPT_WEAK_FLAG, readPassphrase } from '../passphrase.js';
import { waitForStopSignal } from '../signals.js';
import { chatRepl } from './chat-repl.js';
import { clientCommand, JSON_FLAG, JSON_GROUP_HELP, json, out, PASSPHRASE_FILE_HELP, PROFILE_FLAGS, PROFILE_HELP } from './client-command.js';
import { daemonAnswers, withDaemon } from './daemon-connection.js';
import { clock, contactLine, excerpt, formatBytes, messageLine, printable, statusText } from './format.js';
import { findGroup, groupChatRepl } from './group-chat-repl.js';
import { addGroupCommands } from './group-commands.js';
import { addHandleCommands } from './handle-commands.js';
import { ACCEPT_WEAK_HELP, addProfileCommands, newPassphraseCheck, profileArg } from './profile-commands.js';
import { safeFileName, sendableOf } from './sendable.js';
import { parseWait, WAIT_FLAG, WAIT_HELP, waitProgressLine } from './wait-progress.js';

const AFTER_HELP = `
init, daemon, passphrase, export and import read the passphrase from
--passphrase-file FILE, else from $CHAFF_PASSPHRASE, else ask on the terminal.
The guide is docs/client.md.`;

/** `send` → "send", `contacts add` → "contacts add": a command's name below `chaff client`. */
function nameInClient(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c && c.name() !== 'client'; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Every long option any client command takes, to tell "not this command's" from "no such option". */
function longOptions(command: Command): Set<string> {
  const flags = new Set(command.options.map((o) => o.long).filter((f): f is string => f !== undefined));
  for (const sub of command.commands) for (const f of longOptions(sub)) flags.add(f);
  return flags;
}

interface InitFlags {
  network?: string;
  gateway?: string;
  invite?: string;
  passphraseFile?: string;
  acceptWeakPassphrase?: boolean;
  wait?: string;
}

export function clientProgram(): ChaffCommand {
  const client = new ChaffCommand('client')
    .description('the messaging client: init, daemon, chat, send… (docs/client.md)')
    .usage('<command> [--profile DIR] [options]')
    .option(PROFILE_FLAGS, PROFILE_HELP)
    .option(JSON_FLAG, JSON_GROUP_HELP)
    .reportAs('chaff client')
    .addHelpText('after', AFTER_HELP);
  client.describeUnknownOption((flag, command) => (command !== client && longOptions(client).has(flag) ? `${nameInClient(command)} does not take ${flag}` : `Unknown option '${flag}'`));

  clientCommand<InitFlags>(client, 'init', async ({ command, profileDir, options }) => {
    const network = options.network ?? process.env.CHAFF_NETWORK;
    if (!network) return command.error('init needs --network FILE: the network file (authorities) your network publishes');
    let inviteToken: Uint8Array | undefined;
    try {
      inviteToken = options.invite === undefined ? undefined : parseInviteToken(options.invite);
    } catch (err) {
      command.error(`--invite: ${(err as Error).message}`);
    }
    const waitMs = options.wait === undefined ? undefined : (parseWait(options.wait) ?? command.error(`--wait: "${options.wait}" is not a duration (90s, 10m, 0)`));
    const passphrase = await readPassphrase({
      file: options.passphraseFile,
      env: process.env,
      input: process.stdin,
      confirm: true,
      strength: newPassphraseCheck(profileDir, options.acceptWeakPassphrase),
    });
    const { initProfile } = await import('../../client/init.js');
    const progress = waitProgressLine();
    const created = await initProfile({
      profileDir,
      passphrase,
      network,
      ...(options.gateway !== undefined ? { gateway: options.gateway } : {}),
      ...(inviteToken ? { inviteToken } : {}),
      ...(waitMs !== undefined ? { waitMs } : {}),
      onWaiting: (p) => progress.report(p),
    }).finally(() => progress.done());
    out(
      `created the profile ${profileDir}\naddress  ${created.address}\ngateway  ${printable(created.gateway)}\n\nnext: chaff client daemon${profileArg(profileDir)}   (keep it running; it sends your cover traffic)`,
    );
    return EXIT_OK;
  })
    .description('create a profile: keys, address, gateway')
    .usage(`--network FILE [--gateway NAME] [--invite TOKEN] [--wait DURATION] [--passphrase-file FILE] [${ACCEPT_WEAK_FLAG}]`)
    .option('--network <file>', 'the network file (authorities) your network publishes (default $CHAFF_NETWORK)')
    .option('--gateway <name>', 'the gateway to register with (default: one chosen from the network document)')
    .option('--invite <token>', "an invite from the gateway's operator, if it asks for one")
    .option(WAIT_FLAG, WAIT_HELP)
    .option('--passphrase-file <file>', PASSPHRASE_FILE_HELP)
    .option(ACCEPT_WEAK_FLAG, ACCEPT_WEAK_HELP);

  clientCommand<{ passphraseFile?: string; trace?: string }>(client, 'daemon', async ({ profileDir, socketPath, options }) => {
    if (await daemonAnswers(socketPath)) throw new ClientError('unavailable', `a chaff client daemon is already running for profile ${profileDir}`);
    const passphrase = await readPassphrase({ file: options.passphraseFile, env: process.env, input: process.stdin });
    const { startClientDaemon } = await import('../../client/daemon.js');
    const running = await startClientDaemon({ profileDir, passphrase, log: (line: string) => process.stderr.write(`${line}\n`), ...(options.trace ? { tracePath: options.trace } : {}) });
    process.stderr.write(`chaff client daemon: running for profile ${profileDir} (socket ${running.socketPath}); Ctrl-C stops it\n`);
    const signal = await waitForStopSignal();
    process.stderr.write(`chaff client daemon: ${signal}, stopping\n`);
    await running.stop();
    return EXIT_OK;
  })
    .description('run the client (keep it running: it sends the cover traffic); the other commands talk to it')
    .usage('[--passphrase-file FILE] [--trace FILE (test networks only)]')
    .option('--passphrase-file <file>', PASSPHRASE_FILE_HELP)
    .option('--trace <file>', 'test networks only: append who wrote to whom to FILE, for `chaff sim attack`');

  clientCommand<{ qr?: boolean; json?: boolean }>(client, 'address', ({ socketPath, options }) =>
    withDaemon(socketPath, async (api) => {
      const { address } = await api.address();
      if (options.json) json({ address });
      else if (options.qr) {
        const QRCode = (await import('qrcode')).default;
        // Upper case: bech32 allows it and QR's alphanumeric mode packs it tighter (BIP 173), version 12 instead of 15.
        out(await QRCode.toString(address.toUpperCase(), { type: 'terminal', small: true }));
        out(address);
      } else out(address);
      return EXIT_OK;
    }),
  )
    .description('your address, to give to your contacts')
    .usage('[--qr] [--json]')
    .option('--qr', 'also as a QR code on the terminal')
    .option('--json', 'one JSON line');

  const contacts = client
    .command('contacts')
    .description('add, list, remove, accept or reject contacts')
    .usage('add|list|remove|accept|reject …')
    .option(PROFILE_FLAGS, PROFILE_HELP)
    .option(JSON_FLAG, JSON_GROUP_HELP);
  clientCommand(contacts, 'add', ({ socketPath, args }) =>
    withDaemon(socketPath, async (api) => {
      const [name, target] = args;
      const byHandle = target.includes('@');
      // A handle is looked up through the mixnet first: a payload slot, then a round trip.
      if (byHandle) process.stderr.write(`looking up ${printable(target)} through the mixnet…\n`);
      const c = await api.addContact(name, target);
      out(`added ${printable(c.name)}${byHandle ? ` (${printable(target)})` : ''}. Compare safety numbers with them: chaff client verify ${c.name}`);
      return EXIT_OK;
    }),
  )
    .description('add a contact by their address, or by their handle (name@gateway), looked up through the mixnet')
    .usage('NAME ADDRESS|HANDLE')
    .argument('<name>')
    .argument('<address-or-handle>');
  clientCommand<{ json?: boolean }>(contacts, 'list', ({ socketPath, options }) =>
    withDaemon(socketPath, async (api) => {
      const list = await api.listContacts();
      if (options.json) json(list);
      else if (list.length === 0) out('no contacts yet (chaff client contacts add NAME ADDRESS)');
      else out(list.map(contactLine).join('\n'));
      return EXIT_OK;
    }),
  )
    .description('your contacts')
    .usage('[--json]')
    .option('--json', 'one JSON line');
  clientCommand(contacts, 'remove', ({ socketPath, args }) =>
    withDaemon(socketPath, async (api) => {
      await api.removeContact(args[0]);
      out(`removed ${printable(args[0])}`);
      return EXIT_OK;
    }),
  )
    .description('remove a contact')
    .usage('NAME')
    .argument('<name>');
  clientCommand<{ unverify?: boolean }>(contacts, 'accept', ({ socketPath, args, options }) =>
    withDaemon(socketPath, async (api) => {
      const c = await api.acceptContactKey(args[0], options.unverify === true);
      out(`accepted the new identity key of ${printable(c.name)}; held messages are now in the chat. Compare safety numbers again: chaff client verify ${c.name}`);
      return EXIT_OK;
    }),
  )
    .description("accept a contact's new identity key")
    .usage('NAME [--unverify]   (--unverify: required for a verified contact)')
    .argument('<name>')
    .option('--unverify', 'accept it for a verified contact, who becomes not verified');
  clientCommand(contacts, 'reject', ({ socketPath, args }) =>
    withDaemon(socketPath, async (api) => {
      const c = await api.rejectContactKey(args[0]);
      out(`rejected the new identity key offered for ${printable(c.name)}; its held messages are deleted and ${printable(c.name)} keeps the key you had`);
      return EXIT_OK;
    }),
  )
    .description('reject it: the contact keeps its key, the held messages go')
    .usage('NAME')
    .argument('<name>');

  const deliveryId = client.command('delivery-id').description('your private delivery id').usage('rotate').option(PROFILE_FLAGS, PROFILE_HELP);
  clientCommand(deliveryId, 'rotate', ({ socketPath }) =>
    withDaemon(socketPath, async (api) => {
      const r = await api.rotateDeliveryId();
      out(
        `a new delivery id is registered with your gateway and on its way to your ${r.contacts} contact${r.contacts === 1 ? '' : 's'}; the old one no longer reaches your mailbox (remove a contact who abused it before rotating)`,
      );
      return EXIT_OK;
    }),
  ).description('a new private delivery id for your contacts (one abused the old)');

  clientCommand<{ file?: string; json?: boolean }>(client, 'send', async ({ command, socketPath, args, options }) => {
    const [contact, ...words] = args;
    const { file, text } = sendableOf(command, 'send', words, options.file);
    return withDaemon(socketPath, async (api) => {
      const { message } = file ? await api.sendFile(contact, file.name, file.data) : await api.sendText(contact, text);
      if (options.json) json(message);
      else
        out(
          `queued for ${printable(contact)}: ${excerpt(message.content)} (message ${message.id}, ${message.fragments} fragment${message.fragments === 1 ? '' : 's'}; chaff client chat ${contact} shows when it arrives)`,
        );
      return EXIT_OK;
    });
  })
    .description('send a text (use -- before a text starting with -), or a file of at most 1 MiB')
    .usage('NAME TEXT…   or   chaff client send NAME --file PATH')
    .argument('<name>')
    .argument('[text...]')
    .option('--file <path>', 'send this file instead of a text')
    .option('--json', 'the queued message as one JSON line');

  clientCommand(client, 'chat', ({ socketPath, args }) =>
    withDaemon(socketPath, async (api: ClientApiConnection) => {
      // A contact's name first; else a group (its id or unique name).
      const isContact = (await api.listContacts()).some((c) => c.name === args[0]);
      return !isContact && findGroup(await api.groupList(), args[0]) ? groupChatRepl(api, args[0]) : chatRepl(api, args[0]);
    }),
  )
    .description('talk with a contact, or in a group: history with delivery marks, then live')
    .usage('NAME   (a contact, else a group: its id or name)')
    .argument('<name>');

  clientCommand<{ port?: string; network?: string }>(client, 'ui', async ({ command, profileDir, socketPath, options }) => {
    const port = options.port === undefined ? 0 : Number(options.port);
    if (!Number.isSafeInteger(port) || port < 0 || port > 65535) command.error('--port takes a TCP port, 0 to 65535 (0: a free one)');
    const network = options.network ?? process.env.CHAFF_NETWORK;
    const { runWebApp, profileExists } = await import('./web-app.js');
    if (!profileExists(profileDir) && !network) command.error(`there is no profile in ${profileDir}: to create one in the web app, give --network FILE (the network file your network publishes)`);
    await runWebApp({ profileDir, socketPath, port, ...(network !== undefined ? { network } : {}) });
    return EXIT_OK;
  })
    .description('the web app: serves it on 127.0.0.1 and prints the address to open; with no profile yet, it creates one first (docs/web-app.md)')
    .usage('[--port N] [--network FILE]')
    .option('--port <n>', 'the TCP port on 127.0.0.1 (default: a free one)')
    .option('--network <file>', 'for a new profile: the network file (authorities) your network publishes; the page creates the profile');

  clientCommand<{ json?: boolean }>(client, 'inbox', ({ socketPath, options }) =>
    withDaemon(socketPath, async (api) => {
      const box = await api.inbox();
      if (options.json) {
        json(box);
        return EXIT_OK;
      }
      if (box.unread.length === 0 && box.requests.length === 0) {
        out('nothing unread');
        return EXIT_OK;
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
      return EXIT_OK;
    }),
  )
    .description('unread messages and contact requests')
    .usage('[--json]')
    .option('--json', 'one JSON line');

  clientCommand<{ limit?: string; json?: boolean }>(client, 'history', async ({ command, socketPath, args, options }) => {
    const limit = options.limit === undefined ? 20 : Number(options.limit);
    if (!Number.isSafeInteger(limit) || limit < 1) command.error('--limit takes a whole number of messages, 1 or more');
    return withDaemon(socketPath, async (api) => {
      const messages = await api.history(args[0], limit);
      if (options.json) json(messages);
      else out(messages.length === 0 ? 'no messages yet' : messages.map((m) => messageLine(m)).join('\n'));
      return EXIT_OK;
    });
  })
    .description('the last N messages with NAME')
    .usage('NAME [--limit N] [--json]')
    .argument('<name>')
    .option('--limit <n>', 'how many (default 20)')
    .option('--json', 'one JSON line');

  clientCommand<{ out?: string }>(client, 'save', ({ socketPath, args, options }) =>
    withDaemon(socketPath, async (api) => {
      const file = await api.fileData(args[0]);
      const path = options.out ?? safeFileName(file.name);
      const bytes = Buffer.from(file.data, 'base64');
      try {
        writeFileSync(path, bytes, { flag: 'wx', mode: 0o600 });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new ClientError('bad-request', code === 'EEXIST' ? `${path} exists; choose another name with --out PATH` : `cannot write ${path}: ${code ?? (err as Error).message}`);
      }
      out(`saved ${printable(file.name)} (${formatBytes(bytes.length)}) to ${printable(path)}`);
      return EXIT_OK;
    }),
  )
    .description('write a received file to disk')
    .usage('MESSAGE_ID [--out PATH]')
    .argument('<message-id>')
    .option('--out <path>', "where (default: the sender's file name, in this folder)");

  clientCommand<{ mark?: boolean; unmark?: boolean; json?: boolean }>(client, 'verify', async ({ command, socketPath, args, options }) => {
    const name = args[0];
    if (options.mark && options.unmark) command.error('--mark and --unmark exclude each other');
    return withDaemon(socketPath, async (api) => {
      if (options.mark || options.unmark) await api.markVerified(name, Boolean(options.mark));
      const v = await api.verify(name);
      if (options.json) {
        json(v);
        return EXIT_OK;
      }
      out(`safety number with ${printable(name)}:\n\n    ${printable(v.safetyNumber)}\n`);
      out(
        v.verified
          ? `${printable(name)} is marked verified.`
          : `Compare it with ${printable(name)} in person or on a call (not in this chat). If theirs is the same: chaff client verify ${name} --mark`,
      );
      return EXIT_OK;
    });
  })
    .description('the safety number to compare with NAME')
    .usage('NAME [--mark | --unmark] [--json]')
    .argument('<name>')
    .option('--mark', 'mark NAME verified (the numbers match)')
    .option('--unmark', 'mark NAME not verified')
    .option('--json', 'one JSON line');

  clientCommand<{ json?: boolean }>(client, 'status', ({ socketPath, options }) =>
    withDaemon(socketPath, async (api) => {
      const s = await api.status();
      if (options.json) json(s);
      else out(statusText(s));
      return EXIT_OK;
    }),
  )
    .description('gateway, epoch, queue, cover traffic, loops')
    .usage('[--json]')
    .option('--json', 'one JSON line');

  addHandleCommands(client);
  addGroupCommands(client);
  addProfileCommands(client);

  return client;
}
