// Single-use invite tokens for a gateway whose registration policy is
// "invite" (docs/gateway.md §Registration policy). The operator mints them
// with `chaff node invite --config gateway.toml`, possibly while the gateway
// runs, so they live in plain files that two processes can share (a LevelDB
// folder is locked by the running gateway):
//
//   dataDir/invites/<SHA-256(token) hex>   JSON {"createdMs": …, "expiresMs": …}
//
// Only the token's hash is stored, so reading the folder does not give a
// usable token. Claiming renames the file (atomic: of two registrations
// presenting one token, exactly one wins); the claim is then either
// consumed (deleted) once the registration is durable, or released (renamed
// back) if it failed, so a failed registration does not burn the invite.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../../protocol/bytes.js';
import { sha256 } from '../../protocol/crypto/hash.js';
import { INVITE_TOKEN_LENGTH } from '../../protocol/wire/register.js';

export { formatInviteToken, parseInviteToken } from '../../protocol/wire/register.js';

const HASH_NAME = /^[0-9a-f]{64}$/;

export type InviteCheck = 'valid' | 'unknown' | 'expired';

export interface InviteClaim {
  /** Deletes the claimed invite: it has been used. */
  consume(): Promise<void>;
  /** Gives the invite back (the registration failed). */
  release(): Promise<void>;
}

export class InviteStore {
  readonly folder: string;

  constructor(folder: string) {
    this.folder = folder;
  }

  /** Mints `count` tokens valid until `expiresMs`; returns them (they are shown once and not stored). */
  async mint(count: number, nowMs: number, expiresMs: number): Promise<Uint8Array[]> {
    if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new RangeError('mint 1 … 10000 invites at a time');
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    const tokens: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const token = new Uint8Array(randomBytes(INVITE_TOKEN_LENGTH));
      await writeFile(this.#path(token), JSON.stringify({ createdMs: nowMs, expiresMs }), { flag: 'wx', mode: 0o600 });
      tokens.push(token);
    }
    return tokens;
  }

  /** Whether `token` is an unused, unexpired invite (without claiming it). */
  async check(token: Uint8Array, nowMs: number): Promise<InviteCheck> {
    let text: string;
    try {
      text = await readFile(this.#path(token), 'utf8');
    } catch {
      return 'unknown';
    }
    const expiresMs = expiryOf(text);
    if (expiresMs === null) return 'unknown';
    if (expiresMs <= nowMs) {
      await unlink(this.#path(token)).catch(() => undefined);
      return 'expired';
    }
    return 'valid';
  }

  /** Claims `token` (atomically), or returns null if it is not there (unknown, used, or claimed by a concurrent registration). */
  async claim(token: Uint8Array): Promise<InviteClaim | null> {
    const path = this.#path(token);
    const claimed = `${path}.claimed-${toHex(new Uint8Array(randomBytes(8)))}`;
    try {
      await rename(path, claimed);
    } catch {
      return null;
    }
    return {
      consume: () => unlink(claimed).catch(() => undefined),
      release: () => rename(claimed, path).catch(() => undefined),
    };
  }

  /** Unused invites (expired ones included until they are presented or pruned). */
  async count(): Promise<number> {
    try {
      return (await readdir(this.folder)).filter((n) => HASH_NAME.test(n)).length;
    } catch {
      return 0;
    }
  }

  /** Deletes expired invites; returns how many. */
  async prune(nowMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.folder);
    } catch {
      return 0;
    }
    let pruned = 0;
    for (const name of names.filter((n) => HASH_NAME.test(n))) {
      const path = join(this.folder, name);
      const expiresMs = expiryOf(await readFile(path, 'utf8').catch(() => ''));
      if (expiresMs !== null && expiresMs <= nowMs) {
        await unlink(path).catch(() => undefined);
        pruned++;
      }
    }
    return pruned;
  }

  #path(token: Uint8Array): string {
    if (token.length !== INVITE_TOKEN_LENGTH) throw new RangeError(`an invite token is ${INVITE_TOKEN_LENGTH} bytes`);
    return join(this.folder, toHex(sha256(token)));
  }
}

function expiryOf(text: string): number | null {
  try {
    const parsed = JSON.parse(text) as { expiresMs?: unknown };
    return typeof parsed.expiresMs === 'number' && Number.isFinite(parsed.expiresMs) ? parsed.expiresMs : null;
  } catch {
    return null;
  }
}
