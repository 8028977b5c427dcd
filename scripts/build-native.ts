// `npm run build:native`: compiles the optional native addon
// (native/sphinx-hop.c → native/build/chaff_native.node) with the system's C
// compiler against the running Node's headers. npm 11 does not run install
// scripts, so the README's install step and .ci/run call this explicitly.
//
// Nothing is downloaded: the headers come with Node (include/node beside the
// binary, or /usr/include/node for a distribution's Node). When there is no
// compiler, no headers, or the CPU is not x86-64, the script says so and
// exits 0: Chaff then runs its pure TypeScript path (slower, the same bytes).
// `--require` makes any failure an error (CI uses it where the addon must exist).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = join(root, 'native', 'sphinx-hop.c');
const outDir = join(root, 'native', 'build');
const target = join(outDir, 'chaff_native.node');
const required = process.argv.includes('--require');

function headerDir(): string | null {
  const candidates = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((d) => existsSync(join(d, 'node_api.h')) && existsSync(join(d, 'openssl', 'evp.h'))) ?? null;
}

function compiler(): string | null {
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang'].filter((c): c is string => Boolean(c))) {
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {
      // try the next one
    }
  }
  return null;
}

function skip(why: string): number {
  process.stderr.write(`build:native: ${why}; Chaff will use its pure TypeScript Sphinx path\n`);
  return required ? 1 : 0;
}

function main(): number {
  if (process.arch !== 'x64') return skip(`the addon uses AES-NI (x86-64), this is ${process.arch}`);
  const include = headerDir();
  if (!include) return skip('no Node headers (node_api.h and openssl/) beside this Node or in /usr/include/node');
  const cc = compiler();
  if (!cc) return skip('no C compiler (cc, gcc or clang)');
  mkdirSync(outDir, { recursive: true });
  const partial = `${target}.partial`;
  try {
    // -fvisibility=hidden: only the N-API entry point is exported; OpenSSL symbols resolve from the Node binary.
    execFileSync(cc, ['-O2', '-fPIC', '-shared', '-fvisibility=hidden', '-Wall', '-Wextra', '-Wno-deprecated-declarations', '-I', include, '-o', partial, source], { stdio: 'inherit' });
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { force: true });
    return skip(`compiling failed (${(err as Error).message.split('\n')[0]})`);
  }
  process.stdout.write(`build:native: built ${target} with ${cc} against ${include}\n`);
  return 0;
}

process.exitCode = main();
