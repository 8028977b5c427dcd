// `chaff client handle …`: your short handle, `name@gateway` (docs/client.md
// §Short handles, docs/handles.md). `handle` shows it, `handle claim NAME`
// claims a name at your gateway (first come), `handle release` gives it up.
// Each is one call of the daemon's API (docs/client-api.md: handle.get,
// handle.claim, handle.release). Adding a contact by handle is `contacts
// add NAME HANDLE` (commands.ts).

import type { ChaffCommand } from '../command.js';
import { EXIT_OK } from '../command.js';
import { clientCommand, JSON_FLAG, json, out } from './client-command.js';
import { withDaemon } from './daemon-connection.js';
import { printable } from './format.js';

export function addHandleCommands(client: ChaffCommand): void {
  const handle = clientCommand<{ json?: boolean }>(client, 'handle', ({ socketPath, options }) =>
    withDaemon(socketPath, async (api) => {
      const info = await api.handle();
      if (options.json) json(info);
      else if (info.handle === null) out('no handle yet: claim one with chaff client handle claim NAME');
      else out(`your handle: ${printable(info.handle)}\nanyone can add you with it: chaff client contacts add NAME ${printable(info.handle)}`);
      return EXIT_OK;
    }),
  )
    .description('your short handle, name@gateway (shows it; claim or release it)')
    .usage('[--json]   or   chaff client handle claim NAME   or   chaff client handle release')
    .option(JSON_FLAG, 'one JSON line: {"handle": "name@gateway"} or {"handle": null}');

  clientCommand(handle, 'claim', ({ socketPath, args }) =>
    withDaemon(socketPath, async (api) => {
      const info = await api.claimHandle(args[0]);
      out(
        `your handle is now ${printable(info.handle ?? '')}: give it to the people you talk to (chaff client contacts add NAME ${printable(info.handle ?? '')}). It is public: anyone who asks your gateway for the name gets your address`,
      );
      return EXIT_OK;
    }),
  )
    .description('claim NAME at your gateway, first come (1 to 32 of a-z, 0-9, ".", "_", "-")')
    .usage('NAME')
    .argument('<name>');

  clientCommand(handle, 'release', ({ socketPath }) =>
    withDaemon(socketPath, async (api) => {
      const { released } = await api.releaseHandle();
      out(released === null ? 'you held no handle' : `released ${printable(released)}: anyone may claim the name now (contacts who added you keep your address)`);
      return EXIT_OK;
    }),
  ).description('give up your handle');
}
