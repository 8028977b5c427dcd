// One message's delivery mark (docs/client.md §Chatting): the glyph for the
// eye, the word for a screen reader, and data-state for tests and styles.

import type { DeliveryState } from '../client/api.js';

const GLYPHS: Record<DeliveryState, string> = { queued: '○', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };

export function DeliveryMark({ state, error }: { state: DeliveryState; error?: string }) {
  const label = state === 'failed' && error ? `failed: ${error}` : state;
  return (
    <span class="mark" data-state={state} title={label}>
      <span aria-hidden="true">{GLYPHS[state]}</span>
      <span class="sr-only">{label}</span>
    </span>
  );
}
