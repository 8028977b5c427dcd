#!/usr/bin/env node
// Regenerates the inlined AES rounds in protocol/crypto/aez.ts.
//
// Why: the AEZ-core passes (most of the time of a Sphinx payload SPRP) and the aes4/aes10
// helpers compute their AES rounds as T-table lookups on local variables, with round keys in
// locals, instead of calling a round function per block: no call overhead, no allocation, and
// nothing for V8 to fail to inline. The price is many near-identical lines, so they are
// generated from marker comments rather than edited by hand:
//
//   // @aez-inline AES4 a b [sink]          four AES4 rounds (keys J, I, L, 0) a→b→a→b→a
//   // @aez-inline ROUND s t k0,k1,k2,k3    one round, t_c = T0[s_c] ^ … ^ k_c
//   // @aez-inline ROUND s t none           one round without AddRoundKey
//   … generated lines (replaced on every run) …
//   // @aez-inline end
//
// `sink` additionally emits `SINK[c] = t_c;` after every computed column. Generated lines take
// the indentation of their begin marker.
//
// Usage:
//   node scripts/aez-inline.cjs [file]           rewrite the regions in place
//   node scripts/aez-inline.cjs --check [file]   exit 1 (naming the first stale region) if not in sync
// file defaults to protocol/crypto/aez.ts.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const DEFAULT_FILE = path.join(__dirname, '..', 'protocol', 'crypto', 'aez.ts');
const MARKER = /^(\s*)\/\/ @aez-inline\b\s*(.*?)\s*$/;

/** One full AES round on columns s0..s3 into t0..t3 with round keys k (or none). */
function round(s, t, k, ind, sink) {
  const out = [];
  for (let c = 0; c < 4; c++) {
    const w = (d) => `${s}${(c + d) % 4}`;
    let e = `T0[${w(0)} & 255] ^ T1[(${w(1)} >>> 8) & 255] ^ T2[(${w(2)} >>> 16) & 255] ^ T3[${w(3)} >>> 24]`;
    if (k) e += ` ^ ${k[c]}`;
    out.push(`${ind}${t}${c} = ${e};`);
    if (sink) out.push(`${ind}SINK[${c}] = ${t}${c};`);
  }
  return out;
}

/** AES4 with round keys (J, I, L, 0) held in locals kj0..3, ki0..3, kl0..3; result back in a. */
function aes4(a, b, ind, sink) {
  const k = (p) => [0, 1, 2, 3].map((c) => p + c);
  return [...round(a, b, k('kj'), ind, sink), ...round(b, a, k('ki'), ind, sink), ...round(a, b, k('kl'), ind, sink), ...round(b, a, null, ind, sink)];
}

/** The lines a begin marker with parameters `spec` (e.g. "AES4 a b sink") expands to. */
function expandMarker(spec, ind) {
  let m = /^AES4 (\w) (\w)( sink)?$/.exec(spec);
  if (m) return aes4(m[1], m[2], ind, !!m[3]);
  m = /^ROUND (\w) (\w) (none|\w+,\w+,\w+,\w+)$/.exec(spec);
  if (m) return round(m[1], m[2], m[3] === 'none' ? null : m[3].split(','), ind, false);
  throw new Error(`unknown @aez-inline marker: ${spec}`);
}

/**
 * Regenerates every marked region of `src`. Returns the new text and, per region, its begin
 * marker's 1-based line number, parameters and whether the existing lines were already in sync.
 */
function expandRegions(src) {
  const lines = src.split('\n');
  const out = [];
  const regions = [];
  for (let i = 0; i < lines.length; i++) {
    const m = MARKER.exec(lines[i]);
    out.push(lines[i]);
    if (!m) continue;
    const [, ind, spec] = m;
    if (spec === 'end') throw new Error(`line ${i + 1}: @aez-inline end without a begin marker`);
    const body = expandMarker(spec, ind);
    let j = i + 1;
    while (j < lines.length && !MARKER.exec(lines[j])) j++;
    if (j === lines.length || MARKER.exec(lines[j])[2] !== 'end') {
      throw new Error(`line ${i + 1}: @aez-inline ${spec} is not followed by @aez-inline end`);
    }
    const old = lines.slice(i + 1, j);
    regions.push({ line: i + 1, spec, inSync: old.join('\n') === body.join('\n') });
    out.push(...body, lines[j]);
    i = j;
  }
  return { text: out.join('\n'), regions };
}

function main(argv) {
  const check = argv.includes('--check');
  const file = argv.find((a) => a !== '--check') ?? DEFAULT_FILE;
  const rel = path.relative(process.cwd(), file);
  const src = fs.readFileSync(file, 'utf8');
  const { text, regions } = expandRegions(src);
  const stale = regions.filter((r) => !r.inSync);
  if (check) {
    if (stale.length === 0) return 0;
    const r = stale[0];
    console.error(`${rel}:${r.line}: region "@aez-inline ${r.spec}" is out of date ` + `(${stale.length} of ${regions.length} regions differ); run: node scripts/aez-inline.cjs`);
    return 1;
  }
  if (text !== src) fs.writeFileSync(file, text);
  console.log(`${rel}: ${regions.length} regions, ${stale.length} regenerated`);
  return 0;
}

module.exports = { round, aes4, expandMarker, expandRegions };

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`aez-inline: ${e.message}`);
    process.exitCode = 2;
  }
}
