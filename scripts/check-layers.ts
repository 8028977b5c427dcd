// The import-boundary check of `npm run lint` (docs/architecture.md §Layers):
// data flows one way, protocol ← runtime ← node, client; simulator ← protocol.
//
//   protocol   imports no other layer, and does no I/O (no fs, net, child
//              processes, libp2p or LevelDB): the simulator runs it in
//              virtual time
//   runtime    imports only protocol
//   node       never imports client (nor cli, simulator, testnet, bench)
//   client     never imports node (nor cli, simulator, testnet, bench)
//   simulator  imports only protocol
//
// Hand-written, not dependency-cruiser: the rules need only the top folder
// each import resolves to, which TypeScript's own preProcessFile gives in
// well under a second for the whole tree, while dependency-cruiser took
// about 12 s of CPU and failed to parse valid code (a commander subclass
// with private fields). Usage: `node --import tsx scripts/check-layers.ts [root]`.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const LAYERS = ['protocol', 'runtime', 'node', 'client', 'simulator', 'cli', 'testnet', 'bench', 'scripts'] as const;
export type Layer = (typeof LAYERS)[number];

/** What each layer may import of the others (besides itself). */
export const ALLOWED: Record<Layer, readonly Layer[]> = {
  protocol: [],
  runtime: ['protocol'],
  node: ['protocol', 'runtime'],
  client: ['protocol', 'runtime'],
  simulator: ['protocol'],
  cli: ['protocol', 'runtime', 'node', 'client', 'simulator', 'testnet'],
  testnet: ['protocol', 'runtime', 'node', 'client'],
  bench: ['protocol', 'runtime', 'node', 'client', 'simulator', 'testnet'],
  scripts: ['protocol', 'runtime', 'node', 'client', 'simulator', 'testnet'],
};

/** Modules protocol must not use: they do I/O or need a network or a disk. */
const PROTOCOL_FORBIDDEN_MODULES =
  /^(node:)?(fs|fs\/promises|net|http|https|http2|dgram|child_process|worker_threads|cluster|readline|os)$|^(libp2p|@libp2p\/.*|@chainsafe\/.*|level|classic-level|prom-client)$/;

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  reason: string;
}

function* typeScriptFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* typeScriptFiles(path);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) yield path;
  }
}

/** The 1-based line of a character offset (binary search over the line starts). */
function lineFinder(text: string): (pos: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (pos) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

function layerOf(root: string, path: string): Layer | null {
  const top = relative(root, path).split(sep)[0];
  return (LAYERS as readonly string[]).includes(top) ? (top as Layer) : null;
}

/** Every violation under `root` (the repository), in file order. */
export function checkLayers(root: string): Violation[] {
  const violations: Violation[] = [];
  for (const layer of LAYERS) {
    const dir = join(root, layer);
    try {
      if (!statSync(dir).isDirectory()) continue;
    } catch {
      continue;
    }
    for (const file of typeScriptFiles(dir)) {
      const text = readFileSync(file, 'utf8');
      const info = ts.preProcessFile(text, true, true);
      const lineOf = lineFinder(text);
      for (const ref of info.importedFiles) {
        const specifier = ref.fileName;
        const line = lineOf(ref.pos);
        const report = (reason: string) => violations.push({ file: relative(root, file), line, specifier, reason });
        if (specifier.startsWith('.')) {
          const target = layerOf(root, resolve(dirname(file), specifier));
          if (target !== null && target !== layer && !ALLOWED[layer].includes(target)) {
            report(`${layer} must not import ${target} (${layer} may import: ${ALLOWED[layer].join(', ') || 'no other layer'})`);
          }
        } else if (layer === 'protocol' && PROTOCOL_FORBIDDEN_MODULES.test(specifier)) {
          report('protocol does no I/O: no filesystem, network, process or database modules');
        }
      }
    }
  }
  return violations;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const violations = checkLayers(root);
  for (const v of violations) process.stderr.write(`${v.file}:${v.line}: imports '${v.specifier}': ${v.reason}\n`);
  if (violations.length > 0) {
    process.stderr.write(`check-layers: ${violations.length} import(s) cross a layer boundary (docs/architecture.md §Layers)\n`);
    process.exit(1);
  }
  process.stdout.write('check-layers: every import respects the layers\n');
}
