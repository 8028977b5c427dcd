// What the client daemon offers its front ends (`chaff client …` commands,
// the interactive chat, any future UI). The daemon implements `ClientApi`;
// client/rpc exposes it over a local socket as JSON-RPC 2.0
// (docs/client-api.md). Binary data crosses the API as base64 strings.

/** Where a message of ours is: queued → sent → delivered → read, or failed. */
export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

export interface ContactInfo {
  name: string;
  /** The contact's shareable address (bech32m "chaff1…"). */
  address: string;
  /** The user compared safety numbers and marked the contact verified. */
  verified: boolean;
  /**
   * The contact's identity key changed: another identity proved that it owns
   * the contact's mailbox (docs/e2ee.md §Key changes; a stranger merely
   * naming the mailbox in its address does not count). Its messages are
   * held, and nothing is sent to the contact, until the user accepts the new
   * key (`contacts.accept`; a verified contact only with `unverify`) or
   * rejects it (`contacts.reject`).
   */
  keyChanged: boolean;
  /** While keyChanged: the safety number with the new key, to compare before accepting. */
  pendingSafetyNumber?: string;
  /** Incoming messages held until the key change is accepted. */
  held: number;
  addedMs: number;
}

export interface MessageContent {
  text?: string;
  file?: { name: string; size: number; /** base64, only when asked for */ data?: string };
}

export interface MessageRecord {
  /** 32 hex digits, the same on both sides. */
  id: string;
  contact: string;
  direction: 'out' | 'in';
  content: MessageContent;
  /** Outgoing: the delivery state. Incoming: 'delivered' until read here, then 'read'. */
  state: DeliveryState;
  /** When it was written (sender's clock), ms since the Unix epoch. */
  sentMs: number;
  /** Outgoing: when the last fragment was acknowledged; incoming: when it was reassembled here. */
  deliveredMs: number | null;
  readMs: number | null;
  fragments: number;
  /** Outgoing: transmissions beyond the first, over all fragments. */
  retransmissions: number;
  /** Outgoing, failed: why. */
  error?: string;
}

/** A message from someone not in the contacts (they have our address). */
export interface ContactRequest {
  /** Their address as it arrived (inside the encryption). */
  address: string;
  safetyNumber: string;
  firstMs: number;
  messages: number;
}

export interface ClientStatus {
  profile: string;
  address: string;
  gateway: { name: string; nodeId: string; connected: boolean };
  epoch: number | null;
  /** Time since the current document's epoch began, ms. */
  documentAgeMs: number | null;
  /** waitingForGateway: fragments to contacts whose gateway is not in the current document; they are sent once it is back. */
  queue: { queued: number; inFlight: number; failed: number; waitingForGateway: number };
  rates: { lambdaP: number; lambdaL: number; lambdaD: number; mu: number; fetchPerSecond: number };
  traffic: {
    /** decoy: payload slots with nothing real to send (acknowledged like real packets); drop: the λD stream. */
    packetsSent: { real: number; decoy: number; drop: number; loop: number };
    bytesSent: number;
    bytesReceived: number;
    /** Bytes per second sent over the last minute (about constant: cover traffic). */
    sendRateBps: number;
    retransmissions: number;
    acksReceived: number;
  };
  loops: { sent: number; returned: number; late: number; lost: number; outstanding: number };
  /** Decoys whose SURB-ACK came back, or did not within the loops' allowance. */
  decoys: { sent: number; returned: number; lost: number; outstanding: number };
  uptimeMs: number;
}

export interface SendResult {
  message: MessageRecord;
}

/** Pushed to subscribers. */
export type ClientEvent =
  | { type: 'message'; message: MessageRecord }
  | { type: 'state'; message: MessageRecord }
  | { type: 'contact'; contact: ContactInfo }
  | { type: 'request'; request: ContactRequest }
  | { type: 'warning'; text: string };

export interface ClientApi {
  status(): Promise<ClientStatus>;
  address(): Promise<{ address: string }>;
  addContact(name: string, address: string): Promise<ContactInfo>;
  listContacts(): Promise<ContactInfo[]>;
  removeContact(name: string): Promise<void>;
  /**
   * Accept a contact's new identity key; held messages are then shown. A
   * verified contact's key is accepted only with `unverify` true (the
   * verification goes with the old key): otherwise ClientError 'verified-contact'.
   */
  acceptContactKey(name: string, unverify?: boolean): Promise<ContactInfo>;
  /** Reject a contact's pending key change: the contact keeps its key; the new identity's held messages are deleted. */
  rejectContactKey(name: string): Promise<ContactInfo>;
  /** Mark the safety number as compared in person. */
  markVerified(name: string, verified: boolean): Promise<ContactInfo>;
  sendText(contact: string, text: string): Promise<SendResult>;
  /** `data` base64; at most MAX_MESSAGE_BYTES (1 MiB) of content. */
  sendFile(contact: string, name: string, data: string): Promise<SendResult>;
  /** Oldest first; the last `limit` messages. */
  history(contact: string, limit?: number): Promise<MessageRecord[]>;
  /** Unread incoming messages of every contact, and contact requests. */
  inbox(): Promise<{ unread: MessageRecord[]; requests: ContactRequest[] }>;
  /** Marks incoming messages of `contact` read here and sends read receipts. */
  markRead(contact: string): Promise<number>;
  /** One received file's content (base64). */
  fileData(messageId: string): Promise<{ name: string; data: string }>;
  verify(contact: string): Promise<{ safetyNumber: string; verified: boolean }>;
  /**
   * A new private delivery id: registered with the gateway (the old one stops
   * reaching the mailbox), kept in the profile, and sent to every contact in
   * a new contact card. `contacts`: how many contacts it goes to.
   */
  rotateDeliveryId(): Promise<{ contacts: number }>;
  /** Every event until the returned function is called. */
  subscribe(listener: (event: ClientEvent) => void): () => void;
}

/** Errors the API reports with a code the RPC layer maps to JSON-RPC error data. */
export type ClientErrorCode = 'unknown-contact' | 'contact-exists' | 'bad-address' | 'bad-name' | 'too-large' | 'key-changed' | 'verified-contact' | 'not-found' | 'unavailable' | 'bad-request';

export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

/** Largest message or file content, bytes (issue: "Messages and files up to 1 MiB"). */
export const MAX_MESSAGE_BYTES = 1 << 20;
