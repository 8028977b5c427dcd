// The app's top bar, besides its name: the connection banner (what works
// and what waits while the daemon or the network is away) and the switch for
// desktop notifications (notifications.ts).

import { useState } from 'preact/hooks';
import type { StatusSnapshot } from './status-snapshot.js';
import { notificationSetting, setNotifications, type NotificationSetting } from './notifications.js';

/** What is away, in words for the user, or null when all is well. */
export function connectionProblem(live: boolean, snapshot: StatusSnapshot | null): string | null {
  if (!live) return 'The web app lost its server (chaff client ui). It reconnects by itself; what is shown here stays.';
  if (!snapshot) return null;
  if (!snapshot.daemon) return 'The Chaff client daemon is not running: start it with chaff client daemon. This page reconnects by itself.';
  if (snapshot.status && !snapshot.status.gateway.connected) {
    return `Offline: your gateway (${snapshot.status.gateway.name}) is not reached. What you write is queued (○) and sent when it is back; your history stays readable.`;
  }
  if (snapshot.status?.connection && !snapshot.status.connection.document.verified) {
    return 'Offline: no verified network document for this epoch (the authorities do not answer). What you write is queued (○) and sent when it is back; your history stays readable.';
  }
  return null;
}

export function ConnectionBanner({ live, snapshot }: { live: boolean; snapshot: StatusSnapshot | null }) {
  const problem = connectionProblem(live, snapshot);
  // Always in the page, so a screen reader announces the change when the text appears.
  return (
    <p class={problem ? 'banner down' : 'banner'} role="status" data-field="offline-banner">
      {problem ?? ''}
    </p>
  );
}

export function NotificationSwitch() {
  const [setting, setSetting] = useState<NotificationSetting>(notificationSetting);
  if (setting === 'unsupported') return null;
  if (setting === 'denied') return <p class="muted switch">Desktop notifications are blocked in this browser's settings for this page.</p>;
  const on = setting === 'on';
  return (
    <button type="button" class="link switch" data-action="notifications" aria-pressed={on} onClick={() => void setNotifications(!on).then(setSetting)}>
      Desktop notifications: {on ? 'on' : 'off'}
    </button>
  );
}
