// The front ends' side of the client's local API: a ClientApi whose calls go
// to the daemon as JSON-RPC 2.0 requests over its Unix-domain socket
// (docs/client-api.md). Every request has an id and a deadline; error
// responses come back as ClientError with the daemon's code; a transport
// failure (no daemon, connection lost, no answer in time) is a ClientError
// with code 'unavailable'.
//
// Subscribing works over the same connection: the first local listener sends
// `subscribe`, the last one to leave sends `unsubscribe`, and `event`
// notifications go to every listener.

import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import {
  ClientError,
  type BlockedInfo,
  type ClientApi,
  type ClientEvent,
  type ClientSettingsChange,
  type ClientSettingsInfo,
  type ClientStatus,
  type ContactInfo,
  type ContactRequest,
  type GroupInfo,
  type GroupPostInfo,
  type HandleInfo,
  type HistoryPage,
  type MessageRecord,
  type PassphraseStrengthInfo,
  type ProfileBackup,
  type SendResult,
} from '../api.js';
import { encodeLine, LineSplitter, MAX_REQUEST_LINE_BYTES, MAX_RESPONSE_LINE_BYTES } from './framing.js';
import { clientErrorCodeOf, EVENT_NOTIFICATION, type JsonRpcErrorObject } from './jsonrpc.js';

/**
 * The deadline of `contacts.add` with a handle, at least: the daemon's
 * lookup tries a few times, each waiting a round trip through the mixnet
 * that grows with every try (client/handles/handle-lookups.ts), about a
 * minute in all at the network's default delays.
 */
export const HANDLE_LOOKUP_DEADLINE_MS = 180_000;

export interface ConnectOptions {
  /** Deadline of each request, ms (default 30 s). */
  timeoutMs?: number;
  /** Deadline of the connection itself, ms (default 5 s). */
  connectTimeoutMs?: number;
  /** Longest line accepted from the daemon (default MAX_RESPONSE_LINE_BYTES). */
  maxLineBytes?: number;
}

export interface ClientApiConnection extends ClientApi {
  /** Resolves once the connection has ended, whether closed here or by the daemon. */
  readonly closed: Promise<void>;
  /** True once the connection has ended. */
  readonly ended: boolean;
  close(): Promise<void>;
}

/** The message for "nobody listens on this profile's socket". */
export function noDaemonMessage(profileDir: string): string {
  return `no chaff client daemon is running for profile ${profileDir} (start it with \`chaff client daemon\`)`;
}

function openSocket(socketPath: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ClientError('unavailable', `the chaff client daemon at ${socketPath} does not accept connections (no answer in ${timeoutMs / 1000} s)`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      // ENOENT: no socket file; ECONNREFUSED: a file left by a daemon that is gone.
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(new ClientError('unavailable', noDaemonMessage(dirname(socketPath))));
      else if (err.code === 'EACCES' || err.code === 'EPERM') reject(new ClientError('unavailable', `cannot open ${socketPath}: permission denied (the daemon belongs to another user)`));
      else reject(new ClientError('unavailable', `cannot connect to the chaff client daemon at ${socketPath}: ${err.code ?? err.message}`));
    });
  });
}

interface Pending {
  method: string;
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

class RpcClientApi implements ClientApiConnection {
  readonly closed: Promise<void>;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: ClientEvent) => void>();
  private endedFlag = false;
  /** An error the daemon sent without an id (it is about to close the connection). */
  private lastNotice: string | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
    maxLineBytes: number,
  ) {
    const splitter = new LineSplitter(maxLineBytes, {
      onLine: (line) => this.onLine(line),
      onOverflow: (bytes) => {
        this.lastNotice = `the daemon sent a line of more than ${bytes} bytes`;
        socket.destroy();
      },
    });
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('error', () => {}); // 'close' follows
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.endedFlag = true;
        const why = this.lastNotice ?? 'the chaff client daemon closed the connection';
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(new ClientError('unavailable', why));
        }
        this.pending.clear();
        resolve();
      });
    });
  }

  get ended(): boolean {
    return this.endedFlag;
  }

  private onLine(line: string | null): void {
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = line === null ? null : JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
      message = parsed as Record<string, unknown>;
    } catch {
      return;
    }
    if (message.method === EVENT_NOTIFICATION && !Object.hasOwn(message, 'id')) {
      for (const listener of [...this.listeners]) {
        try {
          listener(message.params as ClientEvent);
        } catch {
          // A listener's failure is its own; the others still hear the event.
        }
      }
      return;
    }
    const id = message.id;
    const error = message.error as JsonRpcErrorObject | undefined;
    if (typeof id !== 'number') {
      if (id === null && error && typeof error.message === 'string') this.lastNotice = `the daemon refused a request: ${error.message}`;
      return;
    }
    const p = this.pending.get(id);
    if (!p) return; // answered after its deadline
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (error && typeof error === 'object') {
      p.reject(new ClientError(clientErrorCodeOf(error), typeof error.message === 'string' ? error.message : `${p.method} failed`));
    } else {
      p.resolve(message.result);
    }
  }

  /** One request; resolves with its result. `atLeastMs`: a longer deadline than the connection's for this call. */
  call<T>(method: string, params?: Record<string, unknown>, atLeastMs = 0): Promise<T> {
    const timeoutMs = Math.max(this.timeoutMs, atLeastMs);
    if (this.endedFlag) return Promise.reject(new ClientError('unavailable', this.lastNotice ?? 'the connection to the chaff client daemon is closed'));
    const id = this.nextId++;
    const line = encodeLine(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    const bytes = Buffer.byteLength(line) - 1;
    if (bytes > MAX_REQUEST_LINE_BYTES) {
      return Promise.reject(new ClientError('too-large', `the ${method} request is ${bytes} bytes; the daemon accepts at most ${MAX_REQUEST_LINE_BYTES}`));
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ClientError('unavailable', `the chaff client daemon did not answer ${method} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (r: unknown) => void, reject, timer });
      this.socket.write(line);
    });
  }

  status(): Promise<ClientStatus> {
    return this.call('status');
  }
  address(): Promise<{ address: string }> {
    return this.call('address');
  }
  addContact(name: string, address: string): Promise<ContactInfo> {
    // A handle is looked up through the mixnet first: a few tries of a round trip each.
    return this.call('contacts.add', { name, address }, typeof address === 'string' && address.includes('@') ? HANDLE_LOOKUP_DEADLINE_MS : 0);
  }
  listContacts(): Promise<ContactInfo[]> {
    return this.call('contacts.list');
  }
  async removeContact(name: string): Promise<void> {
    await this.call('contacts.remove', { name });
  }
  acceptContactKey(name: string, unverify?: boolean): Promise<ContactInfo> {
    return this.call('contacts.accept', unverify ? { name, unverify } : { name });
  }
  rejectContactKey(name: string): Promise<ContactInfo> {
    return this.call('contacts.reject', { name });
  }
  markVerified(name: string, verified: boolean): Promise<ContactInfo> {
    return this.call('contacts.verify', { name, verified });
  }
  sendText(contact: string, text: string): Promise<SendResult> {
    return this.call('send.text', { contact, text });
  }
  sendFile(contact: string, name: string, data: string): Promise<SendResult> {
    return this.call('send.file', { contact, name, data });
  }
  history(contact: string, limit?: number): Promise<MessageRecord[]> {
    return this.call('history', limit === undefined ? { contact } : { contact, limit });
  }
  historyPage(contact: string, limit?: number, before?: string): Promise<HistoryPage> {
    return this.call('history.page', { contact, ...(limit === undefined ? {} : { limit }), ...(before === undefined ? {} : { before }) });
  }
  inbox(): Promise<{ unread: MessageRecord[]; requests: ContactRequest[] }> {
    return this.call('inbox');
  }
  markRead(contact: string): Promise<number> {
    return this.call('read', { contact });
  }
  fileData(messageId: string): Promise<{ name: string; data: string }> {
    return this.call('file.data', { id: messageId });
  }
  verify(contact: string): Promise<{ safetyNumber: string; verified: boolean }> {
    return this.call('verify', { contact });
  }
  rotateDeliveryId(): Promise<{ contacts: number }> {
    return this.call('delivery-id.rotate');
  }
  handle(): Promise<HandleInfo> {
    return this.call('handle.get');
  }
  claimHandle(name: string): Promise<HandleInfo> {
    return this.call('handle.claim', { name });
  }
  releaseHandle(): Promise<{ released: string | null }> {
    return this.call('handle.release');
  }
  groupCreate(name: string): Promise<GroupInfo> {
    return this.call('group.create', { name });
  }
  groupInvite(group: string, contact: string): Promise<GroupInfo> {
    return this.call('group.invite', { group, contact });
  }
  groupAccept(group: string): Promise<GroupInfo> {
    return this.call('group.accept', { group });
  }
  groupDecline(group: string): Promise<void> {
    return this.call('group.decline', { group });
  }
  groupLeave(group: string): Promise<GroupInfo> {
    return this.call('group.leave', { group });
  }
  groupRemove(group: string, member: string): Promise<GroupInfo> {
    return this.call('group.remove', { group, member });
  }
  groupRename(group: string, name: string): Promise<GroupInfo> {
    return this.call('group.rename', { group, name });
  }
  groupSendText(group: string, text: string): Promise<GroupPostInfo> {
    return this.call('group.send.text', { group, text });
  }
  groupSendFile(group: string, name: string, data: string): Promise<GroupPostInfo> {
    return this.call('group.send.file', { group, name, data });
  }
  groupList(): Promise<GroupInfo[]> {
    return this.call('group.list');
  }
  groupHistory(group: string, limit?: number): Promise<GroupPostInfo[]> {
    return this.call('group.history', limit === undefined ? { group } : { group, limit });
  }
  groupMarkRead(group: string): Promise<number> {
    return this.call('group.read', { group });
  }
  // Blocking (docs/client.md §Blocking).
  block(address: string): Promise<BlockedInfo> {
    return this.call('blocked.add', { address });
  }
  unblock(address: string): Promise<void> {
    return this.call('blocked.remove', { address });
  }
  listBlocked(): Promise<BlockedInfo[]> {
    return this.call('blocked.list');
  }
  // Settings, passphrase and backup.
  settings(): Promise<ClientSettingsInfo> {
    return this.call('settings.get');
  }
  setSettings(change: ClientSettingsChange): Promise<ClientSettingsInfo> {
    return this.call('settings.set', { ...change });
  }
  passphraseStrength(passphrase: string): Promise<PassphraseStrengthInfo> {
    return this.call('passphrase.strength', { passphrase });
  }
  changePassphrase(current: string, next: string, acceptWeak?: boolean): Promise<{ verdict: PassphraseStrengthInfo['verdict'] }> {
    return this.call('profile.passphrase', acceptWeak ? { current, next, acceptWeak } : { current, next });
  }
  backup(passphrase: string, acceptWeak?: boolean): Promise<ProfileBackup> {
    return this.call('profile.backup', acceptWeak ? { passphrase, acceptWeak } : { passphrase });
  }

  subscribe(listener: (event: ClientEvent) => void): () => void {
    // A wrapper, so one function subscribed twice is two subscriptions.
    const entry = (event: ClientEvent): void => listener(event);
    this.listeners.add(entry);
    if (this.listeners.size === 1) {
      this.call('subscribe').catch((err: Error) => {
        if (this.listeners.has(entry)) entry({ type: 'warning', text: `cannot subscribe to events: ${err.message}` });
      });
    }
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.listeners.delete(entry);
      if (this.listeners.size === 0 && !this.endedFlag) this.call('unsubscribe').catch(() => {});
    };
  }

  close(): Promise<void> {
    if (!this.endedFlag) this.socket.end(() => this.socket.destroy());
    return this.closed;
  }
}

/** Connects to the daemon listening on `socketPath`. */
export async function connectClientApi(socketPath: string, options: ConnectOptions = {}): Promise<ClientApiConnection> {
  const socket = await openSocket(socketPath, options.connectTimeoutMs ?? 5000);
  return new RpcClientApi(socket, options.timeoutMs ?? 30_000, options.maxLineBytes ?? MAX_RESPONSE_LINE_BYTES);
}
