// Typed failures of the group layer (docs/groups.md). Everything that reads
// bytes or stored state from outside throws a GroupError with a `code` the
// client can count and log; a hostile member's bytes never raise anything else.

export type GroupErrorCode =
  /** The bytes end before the fields they announce, or a field is out of range. */
  | 'malformed'
  /** An unknown version or message type. */
  | 'unsupported'
  /** A signature does not verify, or an op's derived fields (id, Lamport time) do not match. */
  | 'bad-signature'
  /** The message is for another group. */
  | 'wrong-group'
  /** The local user may not do this now (not an admin, not a member, not invited, …). */
  | 'not-allowed'
  /** A bound was reached (members, ops, name length, pending entries). */
  | 'limit'
  /** An argument (not from the wire) is malformed. */
  | 'bad-argument';

export class GroupError extends Error {
  readonly code: GroupErrorCode;

  constructor(code: GroupErrorCode, message: string) {
    super(`group: ${message}`);
    this.name = 'GroupError';
    this.code = code;
  }
}
