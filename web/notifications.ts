// Desktop notifications (the browser's Notification API, WHATWG
// Notifications API §2): only with the user's permission, asked for by a
// button (browsers refuse a request not made from a user's gesture), only
// while the app's tab is hidden (when it is seen, the conversation itself
// shows what arrived), and without the message's text: a notification can
// show on a locked screen or be kept by the desktop's notification history,
// so it names the sender and no more.

import type { ClientEvent } from '../client/api.js';

/** Where the user's choice is kept: this browser only, like its permission. */
const PREFERENCE_KEY = 'chaff.notifications';

export type NotificationSetting = 'unsupported' | 'denied' | 'off' | 'on';

export function notificationSetting(): NotificationSetting {
  if (typeof Notification === 'undefined') return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  return Notification.permission === 'granted' && localStorage.getItem(PREFERENCE_KEY) === 'on' ? 'on' : 'off';
}

/** Turns them on (asking the browser's permission if it was not given) or off. */
export async function setNotifications(on: boolean): Promise<NotificationSetting> {
  if (typeof Notification === 'undefined') return 'unsupported';
  if (on && Notification.permission === 'default') await Notification.requestPermission();
  localStorage.setItem(PREFERENCE_KEY, on && Notification.permission === 'granted' ? 'on' : 'off');
  return notificationSetting();
}

/** The notification an event deserves while the tab is hidden, or null. */
export function notificationOf(event: ClientEvent): { title: string; body: string; tag: string; contact: string | null } | null {
  if (event.type === 'message' && event.message.direction === 'in') {
    return { title: 'Chaff', body: `New message from ${event.message.contact}`, tag: `message:${event.message.contact}`, contact: event.message.contact };
  }
  if (event.type === 'request' && event.request.messages === 1) return { title: 'Chaff', body: 'A contact request: someone who has your address wrote to you', tag: 'request', contact: null };
  if (event.type === 'contact' && event.contact.keyChanged)
    return { title: 'Chaff', body: `${event.contact.name}'s identity key changed`, tag: `key:${event.contact.name}`, contact: event.contact.name };
  return null;
}

/**
 * Shows the event's notification if they are on and the tab is hidden. A
 * click brings the tab forward and calls `open` with the contact. One per
 * conversation at a time (`tag`): a newer one replaces it.
 */
export function notify(event: ClientEvent, open: (contact: string) => void): void {
  if (document.visibilityState !== 'hidden' || notificationSetting() !== 'on') return;
  const n = notificationOf(event);
  if (!n) return;
  const shown = new Notification(n.title, { body: n.body, tag: n.tag });
  shown.onclick = () => {
    window.focus();
    if (n.contact !== null) open(n.contact);
    shown.close();
  };
}
