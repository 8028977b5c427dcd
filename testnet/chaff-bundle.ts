// `chaff` as one prebuilt file, for the processes a test run or a testnet
// spawns by the dozen.
//
// bin/chaff.js runs the TypeScript sources through tsx, which costs each
// process about 3 s of CPU before it does anything: every one of the ~1,500
// modules of its import graph (libp2p's mostly) passes through tsx's resolve
// and load hooks, which Node 20 runs on a separate thread. On two cores, a
// network of 13 processes then spends its first epoch loading code. Bundled
// by esbuild into one ES module, the same code loads in about 0.3 s.
//
// What is bundled is the source as it is (no minifying), so a stack trace
// names the right functions. Three things keep it the same program:
// - `import.meta.url` in a source file becomes that file's own URL, so every
//   path made relative to a source file (package.json, web/, the native
//   addon, worker modules run by tsx) still points where it did;
// - packages that load files of their own at run time (native addons, Lua
//   scripts, esbuild's binary, tsx itself) or are large and only loaded by
//   one command (vega for plots) stay imports, resolved from node_modules, so
//   the bundle must live inside the checkout (it goes in node_modules/.cache);
// - CommonJS packages inside an ES module get `require` from createRequire.
//
// CHAFF_BIN names the entry that spawners run (testnet/chaff-entry.ts);
// unset, it is bin/chaff.js. The test suite builds a bundle when it starts and sets it
// (test/setup/chaff-bundle.ts), so what runs is always the current source.

import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where bundles go: inside the checkout, so that the packages left out resolve from node_modules. */
export const BUNDLE_ROOT = join(ROOT, 'node_modules', '.cache', 'chaff');

/** Packages left as imports (see the header): they read files beside themselves, or only one command loads them. */
const EXTERNAL = ['sodium-native', 'classic-level', 'level', 'node-gyp-build', 'esbuild', 'tsx', 'bullmq', 'ioredis', 'vega', 'vega-lite', 'puppeteer-core'];

/**
 * Worker threads' modules, bundled as entries of their own: a source file's
 * `new URL('./x.ts', import.meta.url)` naming one becomes the bundled
 * entry's URL, so a node's unwrap workers load in a few milliseconds rather
 * than through tsx (about 0.6 s of CPU each). Source file → entry name.
 */
const WORKER_ENTRIES: Readonly<Record<string, string>> = { 'node/mix/unwrap-worker.ts': 'unwrap-worker' };

/**
 * Replaces `import.meta.url` in each source file by that file's URL (see the
 * header), written relative to the bundle (`new URL('../../cli/x.ts',
 * import.meta.url)`), so a bundle moved together with the sources (an
 * installed package's dist/) still finds them. Every output file lies in
 * `outDir` itself, so one relative path fits them all. The replacement is
 * textual, so this file, whose strings hold the words, is never part of the
 * bundle (spawners import testnet/chaff-entry.ts).
 */
function sourceUrls(outDir: string): Plugin {
  return {
    name: 'chaff-source-urls',
    setup(b) {
      b.onLoad({ filter: /\.ts$/, namespace: 'file' }, async (args) => {
        if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
        const url = `new URL(${JSON.stringify(relative(outDir, args.path).split(sep).join('/'))}, import.meta.url).href`;
        let text = (await readFile(args.path, 'utf8')).replaceAll('import.meta.url', url);
        for (const [source, entry] of Object.entries(WORKER_ENTRIES)) {
          if (dirname(join(ROOT, source)) !== dirname(args.path)) continue;
          text = text.replaceAll(`new URL('./${basename(source)}', ${url})`, `new URL('./${entry}.mjs', import.meta.url)`);
        }
        return { contents: text, loader: 'ts' };
      });
    },
  };
}

/** A bundle: its entry, and the source files it was built from (relative to the checkout, '/'-separated). */
export interface ChaffBundle {
  entry: string;
  sources: string[];
}

/**
 * Bundles cli/run.ts (and the worker modules) into `outDir`: the entry is
 * outDir/chaff.mjs. Split at every dynamic import: each command loads its
 * implementation (and the packages it imports) only when it runs, as it does
 * from the sources, so `chaff --version` loads neither libp2p nor Redis's
 * client.
 */
export async function buildChaffBundle(outDir: string): Promise<ChaffBundle> {
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [{ in: join(ROOT, 'cli', 'run.ts'), out: 'chaff' }, ...Object.entries(WORKER_ENTRIES).map(([source, entry]) => ({ in: join(ROOT, source), out: entry }))],
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: outDir,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    external: EXTERNAL,
    plugins: [sourceUrls(outDir)],
    banner: { js: "import { createRequire as __chaffCreateRequire } from 'node:module';\nconst require = __chaffCreateRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'silent',
  });
  // esbuild names inputs relative to the working directory.
  const sources = Object.keys(result.metafile.inputs)
    .map((input) => relative(ROOT, join(process.cwd(), input)).split(sep).join('/'))
    .filter((source) => !source.startsWith('node_modules/') && !source.startsWith('../'))
    .sort();
  return { entry: join(outDir, 'chaff.mjs'), sources };
}
