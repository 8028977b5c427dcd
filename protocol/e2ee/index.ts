// End-to-end encryption: identities, addresses, X3DH, the Double Ratchet with
// header encryption, sealed-sender envelopes and safety numbers. See docs/e2ee.md.

export * from './errors.js';
export { systemRandom, type RandomSource } from '../crypto/random.js';
export {
  generateIdentity,
  serializeIdentity,
  deserializeIdentity,
  zeroizeIdentity,
  publicIdentityOf,
  prekeySignatureMessage,
  verifyPrekeySignature,
  IDENTITY_BYTES,
  PREKEY_SIGNATURE_DOMAIN,
  type Identity,
  type PublicIdentity,
} from './identity.js';
export {
  addressOf,
  addressToBytes,
  addressFromBytes,
  encodeAddress,
  decodeAddress,
  verifyAddress,
  sameIdentity,
  AddressError,
  ADDRESS_BYTES,
  ADDRESS_PREFIX,
  ADDRESS_TEXT_LENGTH,
  ADDRESS_VERSION,
  ADDRESS_SIGNATURE_DOMAIN,
  addressSignedBytes,
  type Address,
  type AddressErrorReason,
} from './address.js';
export { x3dhInitiate, x3dhRespond, X3DH_AD_LENGTH, type X3dhInitiation, type X3dhResult } from './x3dh.js';
export { DoubleRatchet, DEFAULT_RATCHET_LIMITS, type RatchetLimits, type RatchetMessage, type RatchetOptions } from './ratchet.js';
export { maxPlaintextLength, isValidEnvelopeLength, PRODUCTION_ENVELOPE_LENGTH, MIN_ENVELOPE_LENGTH, MAX_ENVELOPE_LENGTH, FIRST_ENVELOPE_OVERHEAD, LATER_ENVELOPE_OVERHEAD } from './envelope.js';
export { Session, openEnvelope, type OpenedEnvelope, type SessionRole } from './session.js';
export { safetyNumber, fingerprintDigits, formatSafetyNumber, SAFETY_NUMBER_ITERATIONS } from './safety-number.js';
