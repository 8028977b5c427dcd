// ClientApi calls for a fake daemon that a test does not use: each answers
// ClientError 'unavailable'. The calls added after most fakes were written
// (groups, blocking, settings, passphrase and backup, handles, history pages) alone, or every call (a fake that then overrides the
// ones it serves).

import { ClientError, type ClientApi } from '../../client/api.js';

export type GroupCalls = Pick<
  ClientApi,
  | 'groupCreate'
  | 'groupInvite'
  | 'groupAccept'
  | 'groupDecline'
  | 'groupLeave'
  | 'groupRemove'
  | 'groupRename'
  | 'groupSendText'
  | 'groupSendFile'
  | 'groupList'
  | 'groupHistory'
  | 'groupMarkRead'
  | 'block'
  | 'unblock'
  | 'listBlocked'
  | 'settings'
  | 'setSettings'
  | 'passphraseStrength'
  | 'changePassphrase'
  | 'backup'
  | 'handle'
  | 'claimHandle'
  | 'releaseHandle'
  | 'historyPage'
>;

const unavailable = async (): Promise<never> => {
  throw new ClientError('unavailable', 'not in this test');
};

export function groupsUnavailable(): GroupCalls {
  return {
    groupCreate: unavailable,
    groupInvite: unavailable,
    groupAccept: unavailable,
    groupDecline: unavailable,
    groupLeave: unavailable,
    groupRemove: unavailable,
    groupRename: unavailable,
    groupSendText: unavailable,
    groupSendFile: unavailable,
    groupList: unavailable,
    groupHistory: unavailable,
    groupMarkRead: unavailable,
    block: unavailable,
    unblock: unavailable,
    listBlocked: unavailable,
    settings: unavailable,
    setSettings: unavailable,
    passphraseStrength: unavailable,
    changePassphrase: unavailable,
    backup: unavailable,
    handle: unavailable,
    claimHandle: unavailable,
    releaseHandle: unavailable,
    historyPage: unavailable,
  };
}

/** The same, as a base class for a fake daemon written as a class. */
export class GroupsUnavailable implements GroupCalls {
  readonly groupCreate = unavailable;
  readonly groupInvite = unavailable;
  readonly groupAccept = unavailable;
  readonly groupDecline = unavailable;
  readonly groupLeave = unavailable;
  readonly groupRemove = unavailable;
  readonly groupRename = unavailable;
  readonly groupSendText = unavailable;
  readonly groupSendFile = unavailable;
  readonly groupList = unavailable;
  readonly groupHistory = unavailable;
  readonly groupMarkRead = unavailable;
  readonly block = unavailable;
  readonly unblock = unavailable;
  readonly listBlocked = unavailable;
  readonly settings = unavailable;
  readonly setSettings = unavailable;
  readonly passphraseStrength = unavailable;
  readonly changePassphrase = unavailable;
  readonly backup = unavailable;
  readonly handle = unavailable;
  readonly claimHandle = unavailable;
  readonly releaseHandle = unavailable;
  readonly historyPage = unavailable;
}

/** Every call unavailable, and a subscription that hears nothing. */
export function unavailableApi(): ClientApi {
  return {
    status: unavailable,
    address: unavailable,
    addContact: unavailable,
    listContacts: unavailable,
    removeContact: unavailable,
    acceptContactKey: unavailable,
    rejectContactKey: unavailable,
    markVerified: unavailable,
    sendText: unavailable,
    sendFile: unavailable,
    history: unavailable,
    inbox: unavailable,
    markRead: unavailable,
    fileData: unavailable,
    verify: unavailable,
    rotateDeliveryId: unavailable,
    ...groupsUnavailable(),
    subscribe: () => () => undefined,
  };
}
