// The node's persistent libp2p identity: an Ed25519 key kept in its data
// folder. Its peer id is the node's name in the topology, so a key file that
// cannot be read is an error, never silently replaced by a fresh key.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';

/** File name of the key inside the data folder (libp2p protobuf encoding). */
export const IDENTITY_FILE = 'libp2p.key';

export type IdentityErrorCode = 'unreadable' | 'corrupt' | 'wrong-key-type' | 'write-failed';

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  constructor(
    readonly code: IdentityErrorCode,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
  }
}

export interface NodeIdentity {
  readonly privateKey: Ed25519PrivateKey;
  readonly peerId: PeerId;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** Whether this start created the key (first start). */
  readonly created: boolean;
  readonly path: string;
}

/** Loads the key from `dataDir/libp2p.key`, or creates it (mode 0600) if the file does not exist. */
export async function loadOrCreateIdentity(dataDir: string): Promise<NodeIdentity> {
  const path = join(dataDir, IDENTITY_FILE);
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new IdentityError('unreadable', path, `cannot read the node key: ${(err as Error).message}`, { cause: err });
    }
  }
  if (bytes !== undefined) return identityOf(decode(path, bytes), path, false);

  const key = await generateKeyPair('Ed25519');
  await writeNew(path, privateKeyToProtobuf(key));
  return identityOf(key, path, true);
}

function decode(path: string, bytes: Uint8Array): Ed25519PrivateKey {
  let key;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (err) {
    throw new IdentityError('corrupt', path, `the node key file is corrupt (${bytes.length} bytes); restore it from a backup or remove it to take a NEW identity`, { cause: err });
  }
  if (key.type !== 'Ed25519') throw new IdentityError('wrong-key-type', path, `the node key is ${key.type}, expected Ed25519`);
  return key;
}

function identityOf(privateKey: Ed25519PrivateKey, path: string, created: boolean): NodeIdentity {
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey), publicKey: privateKey.publicKey.raw, created, path };
}

async function writeNew(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, bytes, 0o600);
  } catch (err) {
    throw new IdentityError('write-failed', path, `cannot write the node key: ${(err as Error).message}`, { cause: err });
  }
}
