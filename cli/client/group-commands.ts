// `chaff client group …`: group chats (docs/groups.md §11, docs/client.md
// §Groups). Each command is one call of the daemon's API (docs/client-api.md
// §Groups). GROUP is a group's id (32 hex digits, `group list` shows it) or
// its name when exactly one group has that name; MEMBER is a contact's name
// or a member's identity key (hex, `group show` lists them).

import { ClientError } from '../../client/api.js';
import type { ChaffCommand } from '../command.js';
import { EXIT_OK } from '../command.js';
import { clientCommand, JSON_FLAG, JSON_GROUP_HELP, json, out, PROFILE_FLAGS, PROFILE_HELP } from './client-command.js';
import { withDaemon } from './daemon-connection.js';
import { printable } from './format.js';
import { findGroup, groupChatRepl } from './group-chat-repl.js';
import { groupLine, memberLine, postedLine, postLine } from './group-format.js';
import { sendableOf } from './sendable.js';

const GROUP_ARG = '<group>';

export function addGroupCommands(client: ChaffCommand): void {
  const group = client
    .command('group')
    .description('group chats: create, invite, accept, decline, leave, remove, rename, send, list, show, chat')
    .usage('create|invite|accept|decline|leave|remove|rename|send|list|show|chat …')
    .option(PROFILE_FLAGS, PROFILE_HELP)
    .option(JSON_FLAG, JSON_GROUP_HELP);

  clientCommand<{ json?: boolean }>(group, 'create', ({ socketPath, args, options }) =>
    withDaemon(socketPath, async (api) => {
      const g = await api.groupCreate(args[0]);
      if (options.json) json(g);
      else out(`created ${printable(g.name)} (id ${g.id}); invite contacts: chaff client group invite ${g.id} NAME`);
      return EXIT_OK;
    }),
  )
    .description('a new group, with you as its only member and admin')
    .usage('NAME [--json]')
    .argument('<name>')
    .option('--json', 'the group as one JSON line');

  clientCommand(group, 'invite', ({ socketPath, args }) =>
    withDaemon(socketPath, async (api) => {
      const g = await api.groupInvite(args[0], args[1]);
      out(`invited ${printable(args[1])} to ${printable(g.name)}; they join once they accept`);
      return EXIT_OK;
    }),
  )
    .description('invite a contact (admins only)')
    .usage('GROUP CONTACT')
    .argument(GROUP_ARG)
    .argument('<contact>');

  clientCommand(group, 'accept', ({ socketPath, args }) =>
    withDaemon(socketPath, async (api) => {
      const g = await api.groupAccept(args[0]);
      out(`joined ${printable(g.name)} (${g.members.length} members); chaff client group show ${g.id}`);
      return EXIT_OK;
    }),
  )
    .description('accept an invitation')
    .usage('GROUP')
    .argument(GROUP_ARG);

  clientCommand(group, 'decline', ({ socketPath, args }) =>
    withDaemon(socketPath, async (api) => {
      await api.groupDecline(args[0]);
      out(`declined the invitation to ${printable(args[0])}; the members are told`);
      return EXIT_OK;
    }),
  )
    .description('decline an invitation (the group is then forgotten here)')
    .usage('GROUP')
    .argument(GROUP_ARG);

  clientCommand(group, 'leave', ({ socketPath, args }) =>
    withDaemon(socketPath, async (api) => {
      const g = await api.groupLeave(args[0]);
      out(`left ${printable(g.name)}; you get nothing posted from now on (its history stays here)`);
      return EXIT_OK;
    }),
  )
    .description('leave a group')
    .usage('GROUP')
    .argument(GROUP_ARG);

  clientCommand(group, 'remove', ({ socketPath, args }) =>
    withDaemon(socketPath, async (api) => {
      const g = await api.groupRemove(args[0], args[1]);
      out(`removed ${printable(args[1])} from ${printable(g.name)}; they are told, and get nothing posted from now on`);
      return EXIT_OK;
    }),
  )
    .description('remove a member or withdraw an invitation (admins only)')
    .usage('GROUP MEMBER   (MEMBER: a contact name or an identity key from `group show`)')
    .argument(GROUP_ARG)
    .argument('<member>');

  clientCommand(group, 'rename', ({ socketPath, args }) =>
    withDaemon(socketPath, async (api) => {
      const g = await api.groupRename(args[0], args[1]);
      out(`renamed to ${printable(g.name)} for every member`);
      return EXIT_OK;
    }),
  )
    .description('rename a group (admins only)')
    .usage('GROUP NAME')
    .argument(GROUP_ARG)
    .argument('<name>');

  clientCommand<{ file?: string; json?: boolean }>(group, 'send', async ({ command, socketPath, args, options }) => {
    const [target, ...words] = args;
    const { file, text } = sendableOf(command, 'group send', words, options.file);
    return withDaemon(socketPath, async (api) => {
      const post = file ? await api.groupSendFile(target, file.name, file.data) : await api.groupSendText(target, text);
      if (options.json) json(post);
      else out(postedLine(target, post));
      return EXIT_OK;
    });
  })
    .description('post a text (use -- before a text starting with -), or a file of at most 1 MiB, to every member')
    .usage('GROUP TEXT…   or   chaff client group send GROUP --file PATH')
    .argument(GROUP_ARG)
    .argument('[text...]')
    .option('--file <path>', 'post this file instead of a text')
    .option('--json', 'the post as one JSON line');

  clientCommand<{ json?: boolean }>(group, 'list', ({ socketPath, options }) =>
    withDaemon(socketPath, async (api) => {
      const groups = await api.groupList();
      if (options.json) json(groups);
      else if (groups.length === 0) out('no groups yet (chaff client group create NAME)');
      else {
        const invited = groups.filter((g) => g.status === 'invited');
        out(groups.map(groupLine).join('\n'));
        if (invited.length > 0) out(`\ninvitations: chaff client group accept GROUP, or chaff client group decline GROUP`);
      }
      return EXIT_OK;
    }),
  )
    .description('your groups and invitations')
    .usage('[--json]')
    .option('--json', 'one JSON line');

  clientCommand(group, 'chat', ({ socketPath, args }) => withDaemon(socketPath, (api) => groupChatRepl(api, args[0])))
    .description('talk in a group: members, posts with delivery marks, then live')
    .usage('GROUP')
    .argument(GROUP_ARG);

  clientCommand<{ limit?: string; json?: boolean }>(group, 'show', async ({ command, socketPath, args, options }) => {
    const limit = options.limit === undefined ? 20 : Number(options.limit);
    if (!Number.isSafeInteger(limit) || limit < 1) command.error('--limit takes a whole number of posts, 1 or more');
    return withDaemon(socketPath, async (api) => {
      const history = await api.groupHistory(args[0], limit);
      const groups = await api.groupList();
      const g = groups.find((x) => x.id === history[0]?.group) ?? findGroup(groups, args[0]);
      if (!g) throw new ClientError('not-found', `no group ${JSON.stringify(args[0])}`);
      // Showing is reading: the authors see it (docs/groups.md §4.1 receipts).
      if (g.status === 'joined' && g.unread > 0) await api.groupMarkRead(g.id);
      if (options.json) {
        json({ group: g, posts: history });
        return EXIT_OK;
      }
      const lines = [groupLine(g), 'members:', ...g.members.map(memberLine), ''];
      lines.push(...(history.length === 0 ? ['no posts yet'] : history.map((p) => postLine(p, g.members))));
      if (g.status === 'invited') lines.push('', `you are invited: chaff client group accept ${g.id}, or chaff client group decline ${g.id}`);
      out(lines.join('\n'));
      return EXIT_OK;
    });
  })
    .description('members and the last N posts with their delivery marks (marks the posts read)')
    .usage('GROUP [--limit N] [--json]')
    .argument(GROUP_ARG)
    .option('--limit <n>', 'how many posts (default 20)')
    .option('--json', 'one JSON line: the group and its posts');
}
