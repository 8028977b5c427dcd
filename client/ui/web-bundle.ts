// The web app's files, built from web/ when the UI server starts (esbuild,
// in memory, about 0.1 s): no build step to forget after `npm install`, no
// generated file in the repository to drift from its source, and the same
// answer from a checkout and from a packed tarball (which holds web/).
// esbuild already comes with tsx, which runs Chaff; Preact is bundled in.

import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface WebAsset {
  contentType: string;
  body: Buffer;
}

/** The web app's source folder, web/ at the package root. */
export const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

/** Path → file: "/", "/app.js", "/app.css". */
export type WebBundle = ReadonlyMap<string, WebAsset>;

/** Bundles web/main.tsx (and the CSS it imports) and reads web/index.html. */
export async function buildWebBundle(webDir: string = WEB_DIR): Promise<WebBundle> {
  const result = await build({
    entryPoints: [join(webDir, 'main.tsx')],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: '/out',
    entryNames: 'app',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const assets = new Map<string, WebAsset>();
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf('/'));
    const contentType = name.endsWith('.js') ? 'text/javascript; charset=utf-8' : name.endsWith('.css') ? 'text/css; charset=utf-8' : 'application/octet-stream';
    assets.set(name, { contentType, body: Buffer.from(file.contents) });
  }
  if (!assets.has('/app.js')) throw new Error(`building the web app from ${webDir} gave no app.js`);
  assets.set('/', { contentType: 'text/html; charset=utf-8', body: await readFile(join(webDir, 'index.html')) });
  return assets;
}
