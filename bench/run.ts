// `npm run bench [-- NAME…]`: runs every benchmark (or those whose name is,
// or starts with, one of NAME followed by a dot) and prints one JSON object
// per line: {"bench": name, ...figures}. `--full` runs the benchmarks that
// have a full size (sim.scale) at that size instead of their quick default.

import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { selects, type Benchmark, type BenchOptions } from './harness.js';

async function loadAll(): Promise<Benchmark[]> {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const all: Benchmark[] = [];
  for (const f of files) {
    const mod = (await import(new URL(f, import.meta.url).href)) as { benchmarks?: Benchmark[] };
    if (!Array.isArray(mod.benchmarks)) throw new Error(`bench/${f} does not export a benchmarks list`);
    all.push(...mod.benchmarks);
  }
  return all;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const options: BenchOptions = { full: args.includes('--full') };
  const filters = args.filter((a) => a !== '--full');
  const all = await loadAll();
  const chosen = all.filter((b) => selects(filters, b.name));
  if (chosen.length === 0) {
    process.stderr.write(`bench: nothing matches ${filters.join(' ')}; known: ${all.map((b) => b.name).join(', ')}\n`);
    return 2;
  }
  for (const b of chosen) {
    const figures = await b.run(options);
    process.stdout.write(`${JSON.stringify({ bench: b.name, ...figures })}\n`);
  }
  return 0;
}

process.exitCode = await main();
