// `chaff_document_age_seconds` (docs/operators.md §Metrics): how old the
// topology document in force is. A node fetches the document of epoch E + 1
// during epoch E, so "the newest document held" often starts in the future;
// measured from that start the age went negative. The age is therefore that
// of the newest document whose epoch has begun (its validity start), and a
// node that holds only future documents, or none, has no document in force:
// null, exported as no sample (alert on chaff_documents_in_force == 0).

import { epochStart, type EpochClock } from '../../protocol/pki/epoch.js';

/** Seconds since the start of the newest held epoch that has begun at `nowMs` (≥ 0), or null when none has. */
export function documentAgeSeconds(nowMs: number, heldEpochs: readonly number[], clock: EpochClock): number | null {
  let start: number | null = null;
  for (const epoch of heldEpochs) {
    const s = epochStart(epoch, clock);
    if (s <= nowMs && (start === null || s > start)) start = s;
  }
  return start === null ? null : Math.max(0, (nowMs - start) / 1000);
}

/** Documents held whose epoch has begun and not ended at `nowMs`: 1 normally, 0 when the node has no document in force. */
export function documentsInForce(nowMs: number, heldEpochs: readonly number[], clock: EpochClock): number {
  return heldEpochs.filter((e) => epochStart(e, clock) <= nowMs && nowMs < epochStart(e, clock) + clock.epochDurationMs).length;
}
