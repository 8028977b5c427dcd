// Typed failures of the chat layer (docs/chat.md). Everything that reads
// bytes or persisted state from outside throws one of these, with a `code`
// the client can count or show, never a bare TypeError or RangeError.

/** Why a chat frame could not be encoded or decoded. */
export type ChatFrameErrorCode =
  /** The first byte names no known frame kind. */
  | 'bad-kind'
  /** The bytes end before the fields the header announces. */
  | 'truncated'
  /** Bytes follow the end of the frame. */
  | 'trailing-bytes'
  /** A length, count, time or receipt type is outside its range. */
  | 'out-of-range'
  /** The fragment index is not below the fragment count. */
  | 'bad-index'
  /** The encoded frame would not fit in maxFrameLength bytes. */
  | 'too-long'
  /** An argument (not from the wire) is malformed: wrong type or size. */
  | 'bad-argument';

export class ChatFrameError extends Error {
  readonly code: ChatFrameErrorCode;

  constructor(code: ChatFrameErrorCode, message: string) {
    super(`chat frame: ${message}`);
    this.name = 'ChatFrameError';
    this.code = code;
  }
}

/** Why a message's content could not be encoded or decoded. */
export type ChatContentErrorCode =
  /** The first byte names no known content kind. */
  | 'bad-kind'
  /** The bytes end before the fields the header announces. */
  | 'truncated'
  /** The text or file data exceeds MAX_MESSAGE_BYTES. */
  | 'too-large'
  /** The file name exceeds MAX_FILE_NAME_BYTES of UTF-8, or is empty. */
  | 'bad-name'
  /** Text or a file name is not valid UTF-8. */
  | 'bad-utf8'
  /** An argument (not from the wire) is malformed. */
  | 'bad-argument';

export class ChatContentError extends Error {
  readonly code: ChatContentErrorCode;

  constructor(code: ChatContentErrorCode, message: string) {
    super(`chat content: ${message}`);
    this.name = 'ChatContentError';
    this.code = code;
  }
}

/** The ChatContentError for an argument of the wrong type (for abytes). */
export const contentArgumentError = (message: string): ChatContentError => new ChatContentError('bad-argument', message);

/** Why the reassembly or ordering state refused an input. */
export type ChatStateErrorCode =
  /** Persisted state (fromJSON / deserialize) is malformed or inconsistent. */
  | 'bad-state'
  /** An argument is malformed: a limit, a time, a sequence number. */
  | 'bad-argument';

export class ChatStateError extends Error {
  readonly code: ChatStateErrorCode;

  constructor(code: ChatStateErrorCode, message: string) {
    super(`chat state: ${message}`);
    this.name = 'ChatStateError';
    this.code = code;
  }
}
