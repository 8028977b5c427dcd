// Proof that an address's mailbox belongs to its identity (docs/e2ee.md
// §Address, key changes). An address is signed by its identity key, but
// that only says the identity *claims* the gateway and mailbox: anyone can
// sign an address of their own keys naming someone else's mailbox. The
// mailbox id is mailboxIdOf(K) (protocol/wire/fetch.ts), where K is the
// Ed25519 key the client registers and fetches with, so only the holder of K
// can sign this statement:
//
//   signed bytes = "chaff-mailbox-proof-v1\0" (23) ‖ identity key (32) ‖ gateway (32) ‖ mailbox id (32)
//   proof        = K (32) ‖ Ed25519 signature by K (64)                        96 bytes
//
// It travels inside the encrypted session (the contact card frame,
// protocol/chat/frames.ts). A client treats a new identity at a contact's
// mailbox as that contact's key change only with a proof that verifies;
// without one it is a stranger's contact request.

import { concatBytes, ctEqual } from '../bytes.js';
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, verify } from '../crypto/ed25519.js';
import { mailboxIdOf } from '../wire/fetch.js';
import type { Address } from './address.js';

export const MAILBOX_PROOF_DOMAIN = 'chaff-mailbox-proof-v1\0';
export const MAILBOX_PROOF_BYTES = ED25519_PUBLIC_KEY_LENGTH + ED25519_SIGNATURE_LENGTH;
const DOMAIN_BYTES = new TextEncoder().encode(MAILBOX_PROOF_DOMAIN);

/** Anything that signs with the mailbox key (the client's libp2p Ed25519 key, as pkiSigningKey gives it). */
export interface MailboxSigner {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export function mailboxProofMessage(address: Pick<Address, 'identityKey' | 'gateway' | 'mailbox'>): Uint8Array {
  return concatBytes(DOMAIN_BYTES, address.identityKey, address.gateway, address.mailbox);
}

/** The 96-byte proof that `address`'s mailbox is the signer's. */
export function signMailboxProof(signer: MailboxSigner, address: Pick<Address, 'identityKey' | 'gateway' | 'mailbox'>): Uint8Array {
  if (!ctEqual(mailboxIdOf(signer.publicKey), address.mailbox)) throw new RangeError('mailbox proof: the signer does not own this mailbox id');
  return concatBytes(signer.publicKey, signer.sign(mailboxProofMessage(address)));
}

/** True when `proof` shows that `address`'s mailbox belongs to its identity. */
export function verifyMailboxProof(address: Pick<Address, 'identityKey' | 'gateway' | 'mailbox'>, proof: Uint8Array): boolean {
  if (!(proof instanceof Uint8Array) || proof.length !== MAILBOX_PROOF_BYTES) return false;
  const key = proof.subarray(0, ED25519_PUBLIC_KEY_LENGTH);
  if (!ctEqual(mailboxIdOf(key), address.mailbox)) return false;
  return verify(key, mailboxProofMessage(address), proof.subarray(ED25519_PUBLIC_KEY_LENGTH));
}
