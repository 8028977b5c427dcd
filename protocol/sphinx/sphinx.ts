// Sphinx bound to one geometry: the API nodes and clients use.

import type { X25519PrivateKey } from '../crypto/x25519.js';
import { geometryFromUserForwardPayloadLength, type Geometry, type GeometryParams } from './geometry.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { createHeader, type CreatedHeader, type PathHop } from './header.js';
import { newPacket, unwrap, type UnwrapResult } from './packet.js';
import { decryptSURBPayload, newPacketFromSURB, newSURB, type NewSurb } from './surb.js';

export class Sphinx {
  readonly geometry: Geometry;
  readonly #random: RandomSource;

  constructor(geometry: Geometry | GeometryParams, random: RandomSource = systemRandom) {
    this.geometry = 'packetLength' in geometry ? geometry : geometryFromUserForwardPayloadLength(geometry);
    this.#random = random;
  }

  createHeader(path: readonly PathHop[]): CreatedHeader {
    return createHeader(this.geometry, path, this.#random);
  }

  newPacket(path: readonly PathHop[], payload: Uint8Array): Uint8Array {
    return newPacket(this.geometry, path, payload, this.#random);
  }

  unwrap(privateKey: X25519PrivateKey, packet: Uint8Array): UnwrapResult {
    return unwrap(this.geometry, privateKey, packet);
  }

  newSURB(path: readonly PathHop[]): NewSurb {
    return newSURB(this.geometry, path, this.#random);
  }

  newPacketFromSURB(surb: Uint8Array, payload: Uint8Array): { packet: Uint8Array; firstHop: Uint8Array } {
    return newPacketFromSURB(this.geometry, surb, payload);
  }

  decryptSURBPayload(payload: Uint8Array, surbKeys: Uint8Array): Uint8Array {
    return decryptSURBPayload(this.geometry, payload, surbKeys);
  }
}
