// `chaff sphinx`: the Sphinx interop and debugging tool (in the spirit of
// Katzenpost's own `sphinx` command). Every subcommand but `geometry` reads
// JSON lines on stdin and writes one JSON line per input line; a line that
// fails gives {"error": "...", "code": "..."} and the tool goes on. The exit
// status is non-zero only for bad arguments. docs/sphinx.md §Interop tool.
// Its command line: cli/commands/sphinx.ts.

import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fromHex, toHex } from '../protocol/bytes.js';
import { X25519PrivateKey } from '../protocol/crypto/x25519.js';
import { decodeCommand, encodeCommand, geometryFromUserForwardPayloadLength, isSphinxError, PRODUCTION_GEOMETRY_PARAMS, Sphinx, type GeometryParams, type PathHop } from '../protocol/sphinx/index.js';

type Handler = (input: Record<string, unknown>) => Record<string, unknown>;

class InputError extends Error {}

function hexField(input: Record<string, unknown>, name: string): Uint8Array {
  const value = input[name];
  if (typeof value !== 'string') throw new InputError(`"${name}" must be a hex string`);
  try {
    return fromHex(value, `"${name}"`);
  } catch (err) {
    throw new InputError((err as Error).message);
  }
}

function pathField(input: Record<string, unknown>): PathHop[] {
  const path = input.path;
  if (!Array.isArray(path)) throw new InputError('"path" must be an array of hops');
  return path.map((hop: unknown, i) => {
    if (hop === null || typeof hop !== 'object') throw new InputError(`path[${i}] must be an object`);
    const h = hop as Record<string, unknown>;
    const commands = h.commands ?? [];
    if (!Array.isArray(commands)) throw new InputError(`path[${i}].commands must be an array of hex strings`);
    return {
      id: hexField(h, 'id'),
      publicKey: hexField(h, 'publicKey'),
      commands: commands.map((c: unknown, j) => {
        if (typeof c !== 'string') throw new InputError(`path[${i}].commands[${j}] must be a hex string`);
        return decodeCommand(fromHex(c, `path[${i}].commands[${j}]`));
      }),
    };
  });
}

function makeHandlers(sphinx: Sphinx): Record<SphinxLineCommand, Handler> {
  const keys = new Map<string, X25519PrivateKey>(); // a node unwraps many packets with one key
  return {
    unwrap(input) {
      const keyBytes = hexField(input, 'key');
      const cacheKey = toHex(keyBytes);
      let key = keys.get(cacheKey);
      if (!key) {
        if (keyBytes.length !== 32) throw new InputError('"key" must be a 32-byte X25519 private key');
        key = X25519PrivateKey.fromBytes(keyBytes);
        keyBytes.fill(0);
        if (keys.size >= 64) keys.clear();
        keys.set(cacheKey, key);
      }
      const r = sphinx.unwrap(key, hexField(input, 'packet'));
      // The JSON keeps both fields, one of them null (the interop format of
      // docs/sphinx.md §Interop tool); `kind` says which hop this was.
      return {
        kind: r.kind,
        commands: r.commands.map((c) => toHex(encodeCommand(c))),
        payload: r.kind === 'forward' ? null : toHex(r.payload),
        packet: r.kind === 'forward' ? toHex(r.packet) : null,
        replayTag: toHex(r.replayTag),
      };
    },
    'new-packet'(input) {
      return { packet: toHex(sphinx.newPacket(pathField(input), hexField(input, 'payload'))) };
    },
    'new-surb'(input) {
      const s = sphinx.newSURB(pathField(input));
      return { surb: toHex(s.surb), surbKeys: toHex(s.surbKeys), firstHop: toHex(s.firstHop) };
    },
    'new-packet-from-surb'(input) {
      const r = sphinx.newPacketFromSURB(hexField(input, 'surb'), hexField(input, 'payload'));
      return { packet: toHex(r.packet), firstHop: toHex(r.firstHop) };
    },
    'decrypt-surb-payload'(input) {
      return { payload: toHex(sphinx.decryptSURBPayload(hexField(input, 'payload'), hexField(input, 'surbKeys'))) };
    },
  };
}

/** Parses `--geometry`: inline JSON, or the path of a file holding JSON. */
export function parseGeometryArgument(value: string | undefined): GeometryParams {
  if (value === undefined) return { ...PRODUCTION_GEOMETRY_PARAMS };
  let text = value;
  if (!value.trimStart().startsWith('{')) {
    if (!existsSync(value)) throw new InputError(`--geometry: "${value}" is neither a JSON object nor an existing file`);
    text = readFileSync(value, 'utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InputError(`--geometry: invalid JSON (${(err as Error).message})`);
  }
  geometryFromUserForwardPayloadLength(parsed as GeometryParams); // validates, throws with the field named
  return parsed as GeometryParams;
}

/** Runs one input line through `handler`; never throws. */
export function processLine(handler: Handler, line: string): string {
  try {
    const input: unknown = JSON.parse(line);
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new InputError('input must be a JSON object');
    return JSON.stringify(handler(input as Record<string, unknown>));
  } catch (err) {
    if (isSphinxError(err)) return JSON.stringify({ error: err.message, code: err.code });
    if (err instanceof InputError || err instanceof SyntaxError || err instanceof RangeError) {
      return JSON.stringify({ error: err.message, code: 'bad-input' });
    }
    return JSON.stringify({ error: `internal error: ${(err as Error).message}`, code: 'internal' });
  }
}

/** The subcommands that read JSON lines, each with its handler. */
export const SPHINX_LINE_COMMANDS = ['unwrap', 'new-packet', 'new-surb', 'new-packet-from-surb', 'decrypt-surb-payload'] as const;
export type SphinxLineCommand = (typeof SPHINX_LINE_COMMANDS)[number];

/** Runs `chaff sphinx SUB`: `geometry` prints it; the others answer each JSON line on stdin. */
export async function runSphinxTool(sub: 'geometry' | SphinxLineCommand, geometry: string | undefined): Promise<number> {
  let sphinx: Sphinx;
  try {
    sphinx = new Sphinx(parseGeometryArgument(geometry));
  } catch (err) {
    process.stderr.write(`chaff sphinx: ${(err as Error).message}\n`);
    return 2;
  }
  if (sub === 'geometry') {
    process.stdout.write(`${JSON.stringify(sphinx.geometry)}\n`);
    return 0;
  }
  const handler = makeHandlers(sphinx)[sub];
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    process.stdout.write(`${processLine(handler, line)}\n`);
  }
  return 0;
}
