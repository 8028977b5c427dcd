// An in-memory replay check for mix tests: the tags seen, in the order their
// checks were issued, as "epoch:hex(tag)".

import { toHex } from '../../../protocol/bytes.js';

export function replaySet(): { seen: Set<string>; checkReplay(epoch: number, tag: Uint8Array): Promise<boolean> } {
  const seen = new Set<string>();
  return {
    seen,
    checkReplay: async (epoch, tag) => {
      const k = `${epoch}:${toHex(tag)}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    },
  };
}
