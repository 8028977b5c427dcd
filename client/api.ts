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

/** Someone blocked (docs/client.md §Blocking): what they send is dropped unread. */
export interface BlockedInfo {
  address: string;
  blockedMs: number;
  /** Their envelopes dropped since the daemon started. */
  dropped: number;
  /** The contact with this address, if they are one (blocking keeps the contact and its history). */
  contact?: string;
}

/**
 * The daemon's hold on the network (docs/client.md §Offline): the daemon runs
 * without it, serving history and contacts and queueing what is sent, and
 * keeps trying with backoff. Times are ms since the Unix epoch.
 */
export interface ConnectionInfo {
  /** Both below hold: packets go out and the mailbox is fetched. */
  online: boolean;
  /** A verified network document for the epoch now (or a neighbouring one) is held, or not, since `sinceMs`; `epoch`: the newest one held. */
  document: { verified: boolean; epoch: number | null; sinceMs: number };
  /** The connection to our gateway is open, or not, since `sinceMs`; `error`: why the last attempt to reach it or register failed. */
  gateway: { connected: boolean; sinceMs: number; error: string | null };
}

/** The user's short handle (docs/client.md §Short handles). */
export interface HandleInfo {
  /** `name@gateway` (the gateway's name in the network's document), or null when none is claimed. */
  handle: string | null;
}

export interface ClientStatus {
  profile: string;
  address: string;
  /** Our short handle, `name@gateway`, or null (absent from daemons older than handles). */
  handle?: string | null;
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
  /** What the daemon holds of the network, and since when (absent from daemons older than the offline start). */
  connection?: ConnectionInfo;
}

export interface SendResult {
  message: MessageRecord;
}

/** One page of a conversation (`history.page`, docs/client-api.md §History pages). */
export interface HistoryPage {
  /** Oldest first, in the order of `history`. */
  messages: MessageRecord[];
  /** Whether the conversation holds messages older than these (`earlier` > 0). */
  more: boolean;
  /** How many messages are older than these. */
  earlier: number;
}

/** Cover rates, packets per second (docs/client.md §Status: λP, λL, λD). */
export interface CoverRates {
  lambdaP: number;
  lambdaL: number;
  lambdaD: number;
}

/**
 * The user's settings a front end may change while the daemon runs
 * (`settings.get`, `settings.set`): kept in client.toml (docs/client.md
 * §Configuration), applied at once.
 */
export interface ClientSettingsInfo {
  /** Reading a conversation sends read receipts to the contact (client.toml `read_receipts`). */
  readReceipts: boolean;
  cover: {
    /** The network's rates, from its document (the current epoch's, as the daemon follows it); null before the daemon holds one. */
    network: CoverRates | null;
    /** The user's raises (client.toml `lambda_p`, `lambda_l`, `lambda_d`); null: none. A raise never lowers a rate below the network's. */
    raise: { lambdaP: number | null; lambdaL: number | null; lambdaD: number | null };
    /** The rates the daemon sends at now: each the network's, or the user's raise when higher. */
    effective: CoverRates;
    /** Mailbox fetches a second (client.toml `fetch_interval`). */
    fetchPerSecond: number;
    /**
     * What staying online costs at `effective`, whether the user writes or not:
     * every packet is `packetBytes` long, every fetch sends `fetchRequestBytes`
     * and gets `fetchReplyBytes` back (the default gateway's 4 message and 12
     * ACK slots); `sentPerDay` = ((λP + λL + λD)·packetBytes + fetches·fetchRequestBytes)·86,400,
     * `receivedPerDay` = fetches·fetchReplyBytes·86,400. Bytes, without the
     * few percent of encryption framing on the link.
     */
    cost: { packetBytes: number; fetchRequestBytes: number; fetchReplyBytes: number; sentPerDay: number; receivedPerDay: number };
  };
  /** The file they are kept in. */
  configFile: string;
}

/** What `settings.set` changes: each field given is set; a raise of null removes it (the network's rate applies). */
export interface ClientSettingsChange {
  readReceipts?: boolean;
  lambdaP?: number | null;
  lambdaL?: number | null;
  lambdaD?: number | null;
}

/** How hard a passphrase is to guess (docs/client.md §Passphrase strength): zxcvbn's estimate and the client's verdict. Never the passphrase itself. */
export interface PassphraseStrengthInfo {
  /** refused: under 10^6 guesses, never taken; weak: under 10^10, taken only with `acceptWeak`; good. */
  verdict: 'refused' | 'weak' | 'good';
  /** zxcvbn's score, 0 … 4. */
  score: number;
  /** log10 of the estimated guesses. */
  guessesLog10: number;
  /** How long 10,000 guesses a second take to find it ("3 hours", "centuries"). */
  crackTime: string;
  /** What makes it weak, if zxcvbn names it; may be empty. */
  warning: string;
  suggestions: string[];
  /** The verdict in one paragraph for the user (as the CLI prints it). */
  text: string;
}

/** A backup of the whole profile (`profile.backup`): the bytes of a `chaff client export` file. */
export interface ProfileBackup {
  /** The backup file, base64. */
  data: string;
  /** Its length, bytes. */
  bytes: number;
  /** Records per collection (contacts, messages, files, groups, …). */
  records: Record<string, number>;
  createdMs: number;
}

/** A group member's delivery state of one of our posts (docs/groups.md §4.1): sent → delivered → read. */
export type GroupDelivery = 'sent' | 'delivered' | 'read';

/** Where the local user stands in a group (docs/groups.md §6). */
export type GroupStatus = 'invited' | 'joined' | 'left' | 'removed' | 'declined';

export interface GroupMemberInfo {
  /** The member's identity key (64 hex digits): what names a member in the group. */
  key: string;
  /** The member's name in our contacts, or null (not a contact). */
  contact: string | null;
  status: 'invited' | 'joined';
  admin: boolean;
  /** This is the local user. */
  self: boolean;
}

export interface GroupInfo {
  /** The group id (32 hex digits), the same at every member. */
  id: string;
  name: string;
  status: GroupStatus;
  /** The local user is a joined admin (invites, removes, renames). */
  admin: boolean;
  /** Current members, invited or joined, ascending by key. */
  members: GroupMemberInfo[];
  /** Incoming posts not yet marked read. */
  unread: number;
}

/** What changed in a group's membership (docs/groups.md §6): `member` is an identity key (hex). */
export type GroupChange = { type: 'invited' | 'joined' | 'left' | 'removed' | 'declined' | 'admin' | 'not-admin'; member: string; contact: string | null } | { type: 'renamed'; name: string };

export interface GroupPostInfo {
  /** The post id (32 hex digits), the same at every member. */
  id: string;
  group: string;
  /** The author's identity key (hex), and its contact name if it is one. */
  author: string;
  authorContact: string | null;
  direction: 'out' | 'in';
  content: MessageContent;
  /** The author's clock when written, ms since the Unix epoch (posts are shown in this order: docs/groups.md §4.1). */
  sentMs: number;
  /** Incoming: when it arrived here. */
  receivedMs: number;
  /** Incoming: when it was marked read here. */
  readMs: number | null;
  /** Outgoing: each recipient's state (by identity key, hex); absent once the post is no longer tracked (its author keeps the last 1000). */
  delivery?: Record<string, GroupDelivery>;
}

/** Pushed to subscribers. */
export type ClientEvent =
  | { type: 'message'; message: MessageRecord }
  | { type: 'state'; message: MessageRecord }
  | { type: 'contact'; contact: ContactInfo }
  | { type: 'request'; request: ContactRequest }
  | { type: 'warning'; text: string }
  /** The daemon's hold on the network changed: a document verified or gone stale, the gateway reached or lost. */
  | { type: 'connection'; connection: ConnectionInfo }
  /** A group changed: a new invitation (`changes` empty, status 'invited'), a membership change or a rename, or our own standing. */
  | { type: 'group'; group: GroupInfo; changes: GroupChange[] }
  /** A post in a group, incoming (shown once) or our own. */
  | { type: 'group-post'; post: GroupPostInfo }
  /** A member's delivery state of one of our posts moved on. */
  | { type: 'group-delivery'; group: string; post: string; member: string; state: GroupDelivery };

export interface ClientApi {
  status(): Promise<ClientStatus>;
  address(): Promise<{ address: string }>;
  /**
   * Adds a contact by `address`: a full address, or a short handle
   * (`bob@gateway-b`, docs/client.md §Short handles), which is looked up
   * through the mixnet first (ClientError 'not-found' when the gateway holds
   * no such name, 'forged-handle' when its answer does not verify,
   * 'bad-address' for a gateway the document does not list, 'unavailable'
   * when no answer comes) and the contact added with the address it names.
   */
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
  /**
   * The `limit` messages (default 50) just older than the message `before`
   * (an id; without it, the newest), oldest first, in the order of
   * history(), and whether older ones remain: a long conversation a page at
   * a time. ClientError 'not-found' when `before` is not a shown message of
   * this conversation.
   */
  historyPage(contact: string, limit?: number, before?: string): Promise<HistoryPage>;
  /** Unread incoming messages of every contact, and contact requests. */
  inbox(): Promise<{ unread: MessageRecord[]; requests: ContactRequest[] }>;
  /** Marks incoming messages of `contact` read here and sends read receipts (unless the user turned them off: `settings.set`). */
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
  // Short handles (docs/client.md §Short handles).
  /** Our handle, or null. */
  handle(): Promise<HandleInfo>;
  /**
   * Claims `name` at our gateway, first come: our handle is then
   * `name@gateway`. ClientError 'bad-name' for a name that is not 1 to 32 of
   * a-z, 0-9, '.', '_', '-'; 'handle-taken' when another client holds it;
   * 'unavailable' while the gateway is not reachable or holds no
   * registration for us; 'bad-request' when it refuses our record.
   */
  claimHandle(name: string): Promise<HandleInfo>;
  /** Releases our handle; `released`: the one we held, or null. */
  releaseHandle(): Promise<{ released: string | null }>;
  /** Creates a group with the local user as its only member and admin. */
  groupCreate(name: string): Promise<GroupInfo>;
  /** Invites a contact (admins only). `group`: an id, or the name of exactly one group. */
  groupInvite(group: string, contact: string): Promise<GroupInfo>;
  groupAccept(group: string): Promise<GroupInfo>;
  /** Declines an invitation; the group is then forgotten. */
  groupDecline(group: string): Promise<void>;
  groupLeave(group: string): Promise<GroupInfo>;
  /** Removes a member or withdraws an invitation (admins only). `member`: a contact name or an identity key (hex). */
  groupRemove(group: string, member: string): Promise<GroupInfo>;
  groupRename(group: string, name: string): Promise<GroupInfo>;
  groupSendText(group: string, text: string): Promise<GroupPostInfo>;
  /** `data` base64; at most MAX_MESSAGE_BYTES (1 MiB). */
  groupSendFile(group: string, name: string, data: string): Promise<GroupPostInfo>;
  /** Every group held: joined, invited, and those the user left or was removed from. */
  groupList(): Promise<GroupInfo[]>;
  /** The last `limit` posts (default 50), in display order (docs/groups.md §4.1). */
  groupHistory(group: string, limit?: number): Promise<GroupPostInfo[]>;
  /** Marks the group's incoming posts read and sends read receipts to their authors. */
  groupMarkRead(group: string): Promise<number>;
  // Blocking (docs/client.md §Blocking).
  /**
   * Blocks the identity of `address` (a contact's or a stranger's): its
   * envelopes are dropped unread and counted; a contact request from it is
   * deleted with its messages; a contact stays, with its history, but
   * nothing is sent to it. Blocking again changes nothing.
   */
  block(address: string): Promise<BlockedInfo>;
  /** Unblocks it; ClientError 'not-found' if it was not blocked. */
  unblock(address: string): Promise<void>;
  /** Everyone blocked, first blocked first. */
  listBlocked(): Promise<BlockedInfo[]>;
  // Settings (docs/client.md §Configuration; the web app's Settings screen).
  /** The user's settings, the network's cover rates and what the rates cost. */
  settings(): Promise<ClientSettingsInfo>;
  /**
   * Changes settings: applied at once and written to client.toml. A raise
   * below the network's rate is ClientError 'below-network'; a rate out of
   * 0 … 1000 is 'bad-request'.
   */
  setSettings(change: ClientSettingsChange): Promise<ClientSettingsInfo>;
  // The profile's passphrase and backup (docs/client.md §Passphrase); the passphrases are never kept, logged or returned.
  /** How strong `passphrase` would be as a new one (for a meter while it is typed). */
  passphraseStrength(passphrase: string): Promise<PassphraseStrengthInfo>;
  /**
   * Rewraps the profile's master key under `next` (`chaff client passphrase`).
   * ClientError 'wrong-passphrase' when `current` does not open the profile,
   * 'refused-passphrase' when `next` is too easy to guess, 'weak-passphrase'
   * when it is weak and `acceptWeak` is not true, 'bad-request' when it is
   * empty or the current one.
   */
  changePassphrase(current: string, next: string, acceptWeak?: boolean): Promise<{ verdict: PassphraseStrengthInfo['verdict'] }>;
  /**
   * The whole profile as a backup file encrypted under `passphrase` (the
   * bytes `chaff client export --backup-passphrase-file` writes), checked
   * for strength like a new passphrase ('refused-passphrase', 'weak-passphrase').
   */
  backup(passphrase: string, acceptWeak?: boolean): Promise<ProfileBackup>;
  /** Every event until the returned function is called. */
  subscribe(listener: (event: ClientEvent) => void): () => void;
}

/** Errors the API reports with a code the RPC layer maps to JSON-RPC error data. */
export type ClientErrorCode =
  | 'unknown-contact'
  | 'contact-exists'
  | 'bad-address'
  | 'bad-name'
  | 'too-large'
  | 'key-changed'
  | 'verified-contact'
  | 'not-found'
  | 'unavailable'
  | 'bad-request'
  | 'blocked'
  | 'wrong-passphrase'
  | 'refused-passphrase'
  | 'weak-passphrase'
  | 'below-network'
  | 'handle-taken'
  | 'forged-handle';

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
