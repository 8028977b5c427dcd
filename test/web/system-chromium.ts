// The browser of the web app's tests: Debian's `chromium` (installed by
// .ci/run), or $CHROMIUM_PATH. Missing, it is an error, not a skip: a
// browser test that silently does not run proves nothing.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function systemChromium(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CHROMIUM_PATH) return env.CHROMIUM_PATH;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const path = join(dir, name);
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // not here
      }
    }
  }
  throw new Error("no Chromium for the web app tests: install Debian's package (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH");
}
