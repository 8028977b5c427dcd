// `chaff client group chat GROUP` (also `chaff client chat GROUP` when no
// contact has that name): the interactive chat in a group. It shows the
// members and the last posts with their delivery marks, then live posts,
// delivery and read state per member and membership changes as the daemon
// reports them, and posts each line typed (slash commands aside). Posts
// shown are marked read while the chat is open, as in a 1:1 chat. Lines,
// marks rewritten in place, days, /save and the connection state are as in
// the 1:1 chat (chat-repl.ts).

import { ClientError, type ClientEvent, type GroupInfo, type GroupPostInfo } from '../../client/api.js';
import type { ClientApiConnection } from '../../client/rpc/client.js';
import { MAX_HISTORY_LIMIT } from '../../client/rpc/methods.js';
import { parseChatLine } from './chat-input.js';
import { ChatConnection } from './chat-connection.js';
import { defaultSaveName, transcriptText, writeTranscript } from './chat-save.js';
import { ChatScreen } from './chat-screen.js';
import type { ChatOptions } from './chat-repl.js';
import { excerpt, nameColumn, printable, type LineLayout } from './format.js';
import { changeLine, groupDeliveryMark, groupLine, memberLine, memberName, postLine } from './group-format.js';
import { coalescing, processTerminal, Repl } from './repl.js';
import { sendTextOrFile } from './sendable.js';
import { paintFor } from './terminal-text.js';

const GROUP_HISTORY = 50;

export const GROUP_CHAT_HELP = `/file PATH   post a file (at most 1 MiB)
/members     who is in the group
/save [PATH] write the posts to a text file (default: chat-GROUP-DATE.txt here; /save! PATH replaces one)
/quit        leave the chat (Ctrl-D works too; to leave the group: chaff client group leave)
//text       post a text that starts with /`;

/** The group `ref` names: its id, or the name of exactly one group (as the daemon resolves it). */
export function findGroup(groups: readonly GroupInfo[], ref: string): GroupInfo | undefined {
  const byId = groups.find((g) => g.id === ref.toLowerCase());
  if (byId) return byId;
  const named = groups.filter((g) => g.name === ref);
  return named.length === 1 ? named[0] : undefined;
}

/** The interactive chat in one group. Resolves with the exit status. */
export async function groupChatRepl(api: ClientApiConnection, ref: string, options: ChatOptions = {}): Promise<number> {
  let group = findGroup(await api.groupList(), ref);
  if (!group) throw new ClientError('not-found', `no group ${JSON.stringify(printable(ref))} (chaff client group list shows them)`);
  const id = group.id;
  const self = group.members.find((m) => m.self)?.key;
  const terminal = options.terminal ?? processTerminal();
  const now = options.now ?? Date.now;
  const repl = new Repl(terminal);
  const print = repl.print;
  const paint = paintFor(terminal.output, terminal.env);
  const nameWidth = nameColumn(group.members.map(memberName));
  const line = (p: GroupPostInfo, at: number, layout: LineLayout): string => postLine(p, group!.members, at, layout);
  const screen = new ChatScreen<GroupPostInfo>(repl, line, { layout: { nameWidth, paint }, now });
  const prompt = (offline: boolean): string => (offline ? `you ${paint.warn('(offline)')}> ` : 'you> ');
  repl.setPrompt(prompt(false));
  const connection = new ChatConnection({ print, offline: (offline) => repl.setPrompt(prompt(offline)) }, { paint, now });

  const markRead = coalescing(() =>
    api.groupMarkRead(id).then(
      () => {},
      (err: Error) => print(`! cannot mark posts read: ${printable(err.message)}`),
    ),
  );

  const onEvent = (event: ClientEvent): void => {
    switch (event.type) {
      case 'group-post':
        if (event.post.group !== id) {
          if (event.post.direction === 'in') print(`(new post in another group: chaff client group chat ${event.post.group})`);
          return;
        }
        screen.add(event.post);
        if (event.post.direction === 'in' && group!.status === 'joined') markRead();
        return;
      case 'group-delivery': {
        const p = screen.get(event.post);
        if (event.group !== id || !p?.delivery) return;
        const changed = { ...p, delivery: { ...p.delivery, [event.member]: event.state } };
        const member = group!.members.find((m) => m.key === event.member);
        const who = member ? memberLine(member).trim() : `key:${event.member.slice(0, 12)}…`;
        screen.change(changed, `→ ${event.state} by ${who}: "${excerpt(p.content)}" (${groupDeliveryMark(changed, group!.members)})`);
        return;
      }
      case 'group':
        if (event.group.id !== id) {
          if (event.group.status === 'invited' && event.changes.length === 0) print(`(an invitation to ${printable(event.group.name)}: chaff client group accept ${event.group.id})`);
          return;
        }
        group = event.group;
        for (const c of event.changes) print(changeLine(c, self));
        return;
      case 'message':
        if (event.message.direction === 'in') print(`(new message from ${printable(event.message.contact)}: chaff client chat ${event.message.contact})`);
        return;
      case 'warning':
        print(`! ${printable(event.text)}`);
        return;
      case 'connection':
        connection.apply(event.connection);
        return;
      default:
        return;
    }
  };

  // Subscribe before reading the history, so nothing falls between the two.
  const early: ClientEvent[] = [];
  let live = false;
  const unsubscribe = api.subscribe((event) => (live ? onEvent(event) : early.push(event)));
  try {
    // Without a status (an error) the chat still runs; the next `connection` event says the state.
    const [history, status] = await Promise.all([api.groupHistory(id, GROUP_HISTORY), api.status().catch(() => ({}))]);
    print(`${groupLine(group)}. /help lists the commands.`);
    if (group.status === 'invited') print(`you are invited: chaff client group accept ${id}, or chaff client group decline ${id}`);
    connection.start(status);
    for (const p of history) screen.add(p);
    if (group.unread > 0 && group.status === 'joined') markRead();
    live = true;
    for (const event of early.splice(0)) onEvent(event);

    const post = async (what: { text: string } | { path: string }): Promise<void> => {
      try {
        screen.add(await sendTextOrFile(what, { text: (text) => api.groupSendText(id, text), file: (name, data) => api.groupSendFile(id, name, data) }));
      } catch (err) {
        print(`! ${printable((err as Error).message)}`);
      }
    };
    const save = async (path: string | null, overwrite: boolean): Promise<void> => {
      try {
        const items = await api.groupHistory(id, MAX_HISTORY_LIMIT);
        const title = `group ${printable(group!.name)} (id ${id})`;
        const text = transcriptText({ title, items, truncatedAt: MAX_HISTORY_LIMIT, line: (p) => postLine(p, group!.members, now(), { nameWidth, clock: 'time' }) }, now());
        const written = writeTranscript(path ?? defaultSaveName(group!.name, now()), text, overwrite);
        print(`saved ${items.length} post${items.length === 1 ? '' : 's'} to ${printable(written)}`);
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
          return post({ text: input.text });
        case 'file':
          return post({ path: input.path });
        case 'save':
          return save(input.path, input.overwrite);
        case 'help':
          return print(GROUP_CHAT_HELP);
        case 'quit':
          return 'quit';
        case 'usage':
          return print(input.hint);
        case 'unknown':
          if (input.command === '/members') return print(['members:', ...group!.members.map(memberLine)].join('\n'));
          return print(`unknown command ${printable(input.command)} (/help lists them)`);
        case 'verify':
          return print('safety numbers are per contact: chaff client verify NAME (a member who is not your contact: add them first)');
      }
    };

    const exit = await repl.run(api, handle);
    await markRead.settled();
    return exit;
  } finally {
    unsubscribe();
  }
}
