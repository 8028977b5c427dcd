// npm run fuzz -- [--frames N] [--seed S] [--rounds R] [--only packet@mix,fetch,…] [--dir D] [--json]
//
// The long protocol fuzz (docs/fuzzing.md): a test network of real `chaff
// node` processes on 127.0.0.1, N mutated frames (default 1,000,000) over
// every protocol a node serves. Prints, per protocol, frames sent, accepted
// and refused by reason, and the nodes' RSS per round; exits 1 on a node
// that died, a frame the node did not count, memory that kept growing, or
// honest traffic refused afterwards. The same seed sends the same frames.

import { CASES, formatReport, ProtocolFuzzer, type CaseName } from '../test/fuzz/protocol-fuzzer.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function integer(name: string, fallback: number): number {
  const raw = flag(name);
  if (raw === undefined) return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`--${name} must be a non-negative integer, got ${raw}`);
    process.exit(2);
  }
  return value;
}

const frames = integer('frames', 1_000_000);
const seed = integer('seed', Math.floor(Math.random() * 2 ** 31));
const rounds = Math.max(1, integer('rounds', Math.ceil(frames / 50_000)));
const only = flag('only')?.split(',');
for (const c of only ?? []) {
  if (!(CASES as readonly string[]).includes(c)) {
    console.error(`--only takes protocols among ${CASES.join(', ')}; got ${c}`);
    process.exit(2);
  }
}
const weights = only ? (Object.fromEntries(CASES.filter((c) => !only.includes(c)).map((c) => [c, 0])) as Partial<Record<CaseName, number>>) : undefined;
const log = (line: string): void => console.error(`[fuzz ${new Date().toISOString().slice(11, 19)}] ${line}`);

log(`seed ${seed}: ${frames} frames in ${rounds} rounds (reproduce with --seed ${seed} --frames ${frames}${flag('rounds') ? ` --rounds ${rounds}` : ''}${only ? ` --only ${only.join(',')}` : ''})`);
const fuzzer = await ProtocolFuzzer.start({ seed, log, ...(flag('dir') ? { dir: flag('dir')! } : {}) });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the test network`);
    void fuzzer.stop().finally(() => process.exit(130));
  });
}
let failed = true;
try {
  const report = await fuzzer.run({ seed, frames, rounds, log, rssGrowthLimitBytes: 64 * 2 ** 20, ...(weights ? { weights } : {}) });
  // The authorities still agree on a document after the fuzzing.
  const published = await fuzzer.nextDocumentPublished(3 * fuzzer.net.plan.shape.epochDurationMs);
  report.honest['next document published'] = published;
  if (!published) report.problems.push('the authorities did not publish the next document after the fuzzing');
  for (const line of formatReport(report)) console.log(line);
  if (process.argv.includes('--json')) console.log(JSON.stringify(report));
  failed = report.problems.length > 0;
} catch (err) {
  console.error(`fuzz run failed: ${(err as Error).stack ?? err}`);
} finally {
  await fuzzer.stop();
}
process.exit(failed ? 1 : 0);
