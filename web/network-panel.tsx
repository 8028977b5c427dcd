// The network panel (docs/web-app.md §Network): the gateway and whether it
// is connected, the epoch, and the user's own cover stream live: real and
// cover packets per second (from the daemon's counts, one status a second)
// and the loops that came back. Only this user sees it: it comes from their
// own daemon, never from the network.

import type { PacketRates } from './app-state.js';
import type { StatusSnapshot } from './status-snapshot.js';
import { perSecond } from './format.js';

interface Props {
  snapshot: StatusSnapshot | null;
  rates: PacketRates | null;
  live: boolean;
}

function Row({ label, value, id }: { label: string; value: string; id: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-field={id}>{value}</dd>
    </>
  );
}

export function NetworkPanel({ snapshot, rates, live }: Props) {
  const s = snapshot?.status ?? null;
  const state = !live ? 'the web app lost its server' : !snapshot ? 'waiting…' : !snapshot.daemon ? 'the client daemon is not running' : s?.gateway.connected ? 'connected' : 'not connected';
  const ok = live && snapshot?.daemon === true && s?.gateway.connected === true;
  return (
    <aside class="network" aria-labelledby="network-title">
      <h2 id="network-title">Network</h2>
      <p class={`connection ${ok ? 'ok' : 'down'}`} role="status" data-field="connection">
        {state}
      </p>
      <dl>
        <Row id="gateway" label="Gateway" value={s ? s.gateway.name : '—'} />
        <Row id="epoch" label="Epoch" value={s?.epoch != null ? String(s.epoch) : '—'} />
        <Row id="real-rate" label="Real packets/s" value={rates ? perSecond(rates.real) : '—'} />
        <Row id="cover-rate" label="Cover packets/s" value={rates ? perSecond(rates.cover) : '—'} />
        <Row id="loops" label="Loops returned" value={s ? `${s.loops.returned} of ${s.loops.sent}${s.loops.lost > 0 ? `, ${s.loops.lost} lost` : ''}` : '—'} />
        <Row id="queue" label="Queued fragments" value={s ? String(s.queue.queued + s.queue.inFlight) : '—'} />
      </dl>
    </aside>
  );
}
