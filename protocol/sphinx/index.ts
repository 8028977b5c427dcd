// The Sphinx packet format, byte-compatible with Katzenpost's X25519 NIKE Sphinx. See docs/sphinx.md.

export * from './commands.js';
export * from './errors.js';
export * from './geometry.js';
export { systemRandom, type RandomSource } from '../crypto/random.js';
export { createHeader, SPHINX_AD, type PathHop, type SprpKey, type CreatedHeader } from './header.js';
export { deriveKeys, type PacketKeys } from './kdf.js';
export { newPacket, unwrap, packetOffsets, type UnwrapResult, type ForwardHop, type FinalHop, type SurbReplyHop, type LastHop } from './packet.js';
export { Sphinx } from './sphinx.js';
export { decryptSURBPayload, newPacketFromSURB, newSURB, type NewSurb } from './surb.js';
export { surbAckPayload, surbReplyPayloadFor } from './surb-ack.js';
