// Per-hop routing commands (docs/sphinx.md §Routing commands). Each command
// is a tag byte and a fixed-length body; a hop's block is a run of commands
// ended by the null command (0x00) or by the end of the block, and whatever
// follows a null command must be zero.
//
//   0x00 null                 (rest of the block is zero padding)
//   0x01 next hop             node id (32) ‖ header MAC for that hop (32)
//   0x02 recipient            recipient id (32)
//   0x03 SURB reply           SURB id (16)
//   0x80 delay                milliseconds, u32 big-endian

import { abytes, ctIsZero } from '../bytes.js';
import { SphinxError } from './errors.js';
import { MAC_LENGTH, NODE_ID_LENGTH, RECIPIENT_ID_LENGTH, SURB_ID_LENGTH } from './geometry.js';

export const CommandTag = Object.freeze({
  null: 0x00,
  nextHop: 0x01,
  recipient: 0x02,
  surbReply: 0x03,
  delay: 0x80,
} as const);

export interface NextHopCommand {
  readonly type: 'next-hop';
  readonly id: Uint8Array;
  readonly mac: Uint8Array;
}
export interface RecipientCommand {
  readonly type: 'recipient';
  readonly id: Uint8Array;
}
export interface SurbReplyCommand {
  readonly type: 'surb-reply';
  readonly id: Uint8Array;
}
export interface DelayCommand {
  readonly type: 'delay';
  /** How long the hop holds the packet, in milliseconds (0 … 2^32 − 1). */
  readonly delayMs: number;
}

export type RoutingCommand = NextHopCommand | RecipientCommand | SurbReplyCommand | DelayCommand;

/** Encoded length of each command, tag byte included. */
export const COMMAND_LENGTH = Object.freeze({
  'next-hop': 1 + NODE_ID_LENGTH + MAC_LENGTH,
  recipient: 1 + RECIPIENT_ID_LENGTH,
  'surb-reply': 1 + SURB_ID_LENGTH,
  delay: 1 + 4,
} as const);

export function nextHop(id: Uint8Array, mac: Uint8Array): NextHopCommand {
  return { type: 'next-hop', id: checkBytes(id, NODE_ID_LENGTH, 'next-hop id'), mac: checkBytes(mac, MAC_LENGTH, 'next-hop MAC') };
}
export function recipient(id: Uint8Array): RecipientCommand {
  return { type: 'recipient', id: checkBytes(id, RECIPIENT_ID_LENGTH, 'recipient id') };
}
export function surbReply(id: Uint8Array): SurbReplyCommand {
  return { type: 'surb-reply', id: checkBytes(id, SURB_ID_LENGTH, 'SURB id') };
}
export function delay(delayMs: number): DelayCommand {
  if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > 0xffffffff) {
    throw new SphinxError('bad-command', `delay must be an integer number of milliseconds from 0 to ${0xffffffff}`);
  }
  return { type: 'delay', delayMs };
}

function checkBytes(bytes: Uint8Array, length: number, what: string): Uint8Array {
  abytes(bytes, length, what, (message) => new SphinxError('bad-command', message));
  return bytes;
}

/** Encoded length of `cmd` in bytes. */
export function commandLength(cmd: RoutingCommand): number {
  return COMMAND_LENGTH[cmd.type];
}

/** Writes `cmd` at `offset` of `out`; returns the offset after it. */
export function writeCommand(cmd: RoutingCommand, out: Uint8Array, offset: number): number {
  switch (cmd.type) {
    case 'next-hop':
      out[offset] = CommandTag.nextHop;
      out.set(cmd.id, offset + 1);
      out.set(cmd.mac, offset + 1 + NODE_ID_LENGTH);
      break;
    case 'recipient':
      out[offset] = CommandTag.recipient;
      out.set(cmd.id, offset + 1);
      break;
    case 'surb-reply':
      out[offset] = CommandTag.surbReply;
      out.set(cmd.id, offset + 1);
      break;
    case 'delay':
      out[offset] = CommandTag.delay;
      new DataView(out.buffer, out.byteOffset + offset + 1, 4).setUint32(0, cmd.delayMs, false);
      break;
  }
  return offset + commandLength(cmd);
}

/** The bytes of one command. */
export function encodeCommand(cmd: RoutingCommand): Uint8Array {
  const out = new Uint8Array(commandLength(cmd));
  writeCommand(cmd, out, 0);
  return out;
}

/** The bytes of a run of commands, without the terminating null command. */
export function encodeCommands(cmds: readonly RoutingCommand[]): Uint8Array {
  let length = 0;
  for (const c of cmds) length += commandLength(c);
  const out = new Uint8Array(length);
  let offset = 0;
  for (const c of cmds) offset = writeCommand(c, out, offset);
  return out;
}

/**
 * Parses a hop's command block: commands until a null command (whose
 * trailing bytes must all be zero) or the end of the block. Rejects unknown
 * tags, truncated commands and a second next-hop or SURB-reply command.
 */
export function decodeCommands(block: Uint8Array): RoutingCommand[] {
  const cmds: RoutingCommand[] = [];
  let sawNextHop = false;
  let sawSurbReply = false;
  let offset = 0;
  while (offset < block.length) {
    const tag = block[offset];
    if (tag === CommandTag.null) {
      if (!ctIsZero(block.subarray(offset + 1))) {
        throw new SphinxError('bad-command', 'routing commands: non-zero bytes after the null command');
      }
      break;
    }
    const cmd = decodeOne(block, offset);
    if (cmd.type === 'next-hop') {
      if (sawNextHop) throw new SphinxError('bad-command', 'routing commands: more than one next-hop command');
      sawNextHop = true;
    } else if (cmd.type === 'surb-reply') {
      if (sawSurbReply) throw new SphinxError('bad-command', 'routing commands: more than one SURB-reply command');
      sawSurbReply = true;
    }
    cmds.push(cmd);
    offset += commandLength(cmd);
  }
  return cmds;
}

/** Parses exactly one command that fills `bytes` (the `chaff sphinx` JSON form). */
export function decodeCommand(bytes: Uint8Array): RoutingCommand {
  if (bytes.length === 0) throw new SphinxError('bad-command', 'routing command: empty');
  const cmd = decodeOne(bytes, 0);
  if (commandLength(cmd) !== bytes.length) {
    throw new SphinxError('bad-command', `routing command: ${bytes.length - commandLength(cmd)} trailing bytes after a ${cmd.type} command`);
  }
  return cmd;
}

function decodeOne(block: Uint8Array, offset: number): RoutingCommand {
  const tag = block[offset];
  const body = (length: number, name: string): Uint8Array => {
    if (offset + 1 + length > block.length) {
      throw new SphinxError('bad-command', `routing commands: truncated ${name} command`);
    }
    return block.slice(offset + 1, offset + 1 + length);
  };
  switch (tag) {
    case CommandTag.nextHop: {
      const b = body(NODE_ID_LENGTH + MAC_LENGTH, 'next-hop');
      return { type: 'next-hop', id: b.subarray(0, NODE_ID_LENGTH), mac: b.subarray(NODE_ID_LENGTH) };
    }
    case CommandTag.recipient:
      return { type: 'recipient', id: body(RECIPIENT_ID_LENGTH, 'recipient') };
    case CommandTag.surbReply:
      return { type: 'surb-reply', id: body(SURB_ID_LENGTH, 'SURB-reply') };
    case CommandTag.delay: {
      const b = body(4, 'delay');
      return { type: 'delay', delayMs: new DataView(b.buffer, b.byteOffset, 4).getUint32(0, false) };
    }
    default:
      throw new SphinxError('bad-command', `routing commands: unknown command tag 0x${tag.toString(16).padStart(2, '0')}`);
  }
}
