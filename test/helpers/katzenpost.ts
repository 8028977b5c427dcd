// Katzenpost's conformance vectors live outside the repository (AGPL-3.0
// data, ../shared/vectors/katzenpost); tests read them from there when present.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KATZENPOST_VECTORS_DIR = process.env.CHAFF_KATZENPOST_VECTORS ?? join(ROOT, '..', 'shared', 'vectors', 'katzenpost');

/** Parsed JSON of a vector file, or null when the shared folder is absent. */
export function readKatzenpostVectors<T>(file: string): T | null {
  const path = join(KATZENPOST_VECTORS_DIR, file);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : null;
}

export interface KatzenpostSphinxCase {
  Nodes: Array<{ ID: string; PrivateKey: string }>;
  Path: Array<{ ID: string; PublicKey: string; Commands: string[] }>;
  Packets: string[];
  Payload: string;
  Surb: string;
  SurbKeys: string;
}

export interface KatzenpostCommandVectors {
  NextHopID: string;
  NextHopMAC: string;
  NextHopCmdWant: string;
  RecipientID: string;
  RecipientCmdWant: string;
  SURBReplyID: string;
  SURBReplyCmdWant: string;
  NodeDelay: number;
  NodeDelayCmdWant: string;
}

/** The geometry Katzenpost's vectors were made with. */
export const KATZENPOST_VECTOR_GEOMETRY = { nike: 'X25519', nrHops: 5, userForwardPayloadLength: 103, withSURB: false } as const;
