// `chaff client group …` (cli/client/group-commands.ts), run in this
// process (cli/main.ts), against a daemon
// socket whose group calls are a real messenger's (client/groups/, over
// in-memory stores and wired to two more in memory): the CLI's words reach
// the right calls, and what comes back is printed as the user reads it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClientApi, type GroupInfo, type GroupPostInfo } from '../../client/api.js';
import { connectClientApi } from '../../client/rpc/client.js';
import { serveClientApi, type ClientApiServer } from '../../client/rpc/server.js';
import { clientSocketPath } from '../../client/rpc/socket-path.js';
import { groupChatRepl } from '../../cli/client/group-chat-repl.js';
import { processTerminal } from '../../cli/client/repl.js';
import { main } from '../../cli/main.js';
import { toHex } from '../../protocol/bytes.js';
import { fromBase64, toBase64 } from '../../protocol/util/base64.js';
import { befriend, MemoryNetwork } from '../client/groups/group-network.js';
import type { MemoryUser } from '../client/messenger/memory-user.js';
import { unavailableApi } from '../helpers/groups-unavailable.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait.js';

/** The user's group calls as the daemon's API offers them (client/daemon/api-facade.ts); the rest unavailable. */
function groupApi(u: MemoryUser): ClientApi {
  const g = u.parts.groups;
  return {
    ...unavailableApi(),
    groupCreate: (name) => g.create(name),
    groupInvite: (group, contact) => g.invite(group, contact),
    groupAccept: (group) => g.accept(group),
    groupDecline: (group) => g.decline(group),
    groupLeave: (group) => g.leave(group),
    groupRemove: (group, member) => g.remove(group, member),
    groupRename: (group, name) => g.rename(group, name),
    groupSendText: (group, text) => g.post(group, { kind: 'text', text }),
    groupSendFile: (group, name, data) => g.post(group, { kind: 'file', name, data: fromBase64(data, 'file data') }),
    groupList: async () => g.list(),
    groupHistory: async (group, limit) => g.history(group, limit),
    groupMarkRead: (group) => g.markRead(group),
    // The user's events, as the daemon's subscribers hear them (memoryUser() collects them in `events`).
    subscribe: (listener) => {
      const push = u.events.push;
      u.events.push = (...events) => {
        events.forEach(listener);
        return push.apply(u.events, events);
      };
      return () => void (u.events.push = push);
    },
  };
}

/**
 * Runs `chaff args…` in this process (main(), as bin/chaff.js does) and
 * captures what it writes: a spawned chaff takes seconds to start on a
 * loaded machine, and the socket it talks to is served here anyway.
 */
function chaff(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return captured(() => main(args));
}

/** Runs `run` with what it writes to stdout and stderr captured; `output` reads stdout so far. */
async function captured(run: (output: () => string) => Promise<number>): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const [writeOut, writeErr] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    return { status: await run(() => stdout), stdout, stderr };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

describe('chaff client group (CLI)', function () {
  this.timeout(30_000);
  let dir: string;
  let server: ClientApiServer;
  let net: MemoryNetwork;
  let alice: MemoryUser;
  let bob: MemoryUser;
  const client = (...args: string[]) => chaff(['client', '--profile', dir, ...args]);

  before(async function () {
    net = new MemoryNetwork(new ManualClock(Date.now()));
    [alice, bob] = [await net.add(1), await net.add(2)];
    await befriend(net, alice, 'bob', bob, 'alice');
    dir = mkdtempSync(join(tmpdir(), 'chaff-cli-group-'));
    server = await serveClientApi(groupApi(alice), clientSocketPath(dir));
  });
  after(async function () {
    await server.close();
    net.users.forEach((u) => u.parts.inbox.stop());
    rmSync(dir, { recursive: true, force: true });
  });

  it('create, invite, send, list and show: the calls made and what is printed', async function () {
    const created = await client('group', 'create', 'book club', '--json');
    assert.equal(created.status, 0, created.stderr);
    const group = JSON.parse(created.stdout) as GroupInfo;
    assert.equal(group.name, 'book club');
    const invited = await client('group', 'invite', 'book club', 'bob');
    assert.equal(invited.status, 0, invited.stderr);
    assert.equal(invited.stdout, 'invited bob to book club; they join once they accept\n');
    await net.settle();
    await bob.parts.groups.accept(group.id);
    await net.settle();
    await bob.parts.groups.post(group.id, { kind: 'text', text: 'first!' });
    await net.settle();

    const sent = await client('group', 'send', group.id, 'hello', 'bob');
    assert.equal(sent.status, 0, sent.stderr);
    assert.match(sent.stdout, new RegExp(`^posted to ${group.id}: hello bob \\(post [0-9a-f]{32}, to 1 member;`));
    await net.settle();

    const list = await client('group', 'list');
    assert.equal(list.stdout, `book club  2 members, joined, admin, 1 unread  (id ${group.id})\n`);
    const shown = await client('group', 'show', 'book club');
    assert.equal(shown.status, 0, shown.stderr);
    const lines = shown.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 2), [`book club  2 members, joined, admin, 1 unread  (id ${group.id})`, 'members:']);
    assert.deepEqual(lines.slice(2, 4).sort(), ['  bob', '  you (admin)']);
    assert.ok(lines.some((l) => /\] bob: first!$/.test(l)));
    assert.ok(lines.some((l) => /\] you: hello bob {2}✓✓ 1\/1$/.test(l)));
    // Showing read bob's post: bob sees it read.
    await net.settle();
    const bobsPost = bob.parts.groups.history(group.id).find((p) => p.content.text === 'first!') as GroupPostInfo;
    assert.equal(bobsPost.delivery?.[toHex(alice.identity.signingKey.publicKey)], 'read');
  });

  it('group chat: the posts so far, then what is typed is posted and what others post is shown live', async function () {
    const api = await connectClientApi(clientSocketPath(dir));
    const input = new PassThrough();
    try {
      const r = await captured(async (output) => {
        const running = groupChatRepl(api, 'book club', { terminal: processTerminal({ input }) });
        input.write('from the chat\n');
        await waitFor('the post at bob', async () => {
          await net.settle();
          return bob.parts.groups.history(bob.parts.groups.list()[0].id).some((p) => p.content.text === 'from the chat');
        });
        await bob.parts.groups.post('book club', { kind: 'text', text: 'seen it' });
        await waitFor('the live post', async () => {
          await net.settle();
          return output().includes('bob: seen it');
        });
        input.write('/members\n');
        input.end();
        return running;
      });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.split('\n');
      assert.match(lines[0], /^book club {2}2 members, joined, admin.*\/help lists the commands\.$/);
      assert.ok(lines.some((l) => /\] bob: first!$/.test(l)));
      assert.ok(lines.some((l) => /\] you: from the chat {2}/.test(l)));
      assert.ok(lines.some((l) => /\] bob: seen it$/.test(l)));
      assert.ok(lines.includes('members:'));
    } finally {
      await api.close();
    }
  });

  it('file posts, rename and remove; errors are one line and exit status 1', async function () {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'chapter one');
    const posted = await client('group', 'send', 'book club', '--file', file, '--json');
    assert.equal(posted.status, 0, posted.stderr);
    assert.deepEqual((JSON.parse(posted.stdout) as GroupPostInfo).content, { file: { name: 'notes.txt', size: 11 } });
    await net.settle();
    const got = await bob.parts.groups.fileData((JSON.parse(posted.stdout) as GroupPostInfo).id);
    assert.equal(toBase64(got!.data), toBase64(new TextEncoder().encode('chapter one')));

    assert.equal((await client('group', 'rename', 'book club', 'readers')).stdout, 'renamed to readers for every member\n');
    const removed = await client('group', 'remove', 'readers', 'bob');
    assert.equal(removed.status, 0, removed.stderr);
    await net.settle();
    assert.equal(bob.parts.groups.list()[0].status, 'removed');

    const unknown = await client('group', 'send', 'nope', 'hi');
    assert.equal(unknown.status, 1);
    assert.equal(unknown.stderr, 'chaff client: no group "nope" (`chaff client group list` shows them)\n');
    const notMember = await client('group', 'remove', 'readers', 'carol');
    assert.equal(notMember.status, 1);
    assert.match(notMember.stderr, /^chaff client: "carol" is neither a contact nor a member's key\n$/);
    const usage = await client('group', 'send', 'readers');
    assert.equal(usage.status, 2);
  });
});
