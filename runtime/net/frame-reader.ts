// Reads fixed-size frames from an inbound libp2p stream: the framing of
// docs/wire.md §/chaff/packet/1 (frames back to back, no length prefix).
// Used by the packet link between relays and by the gateway's client entry
// protocol.

import type { Stream } from '@libp2p/interface';

export interface FrameReaderHandlers {
  /** One whole frame (a fresh copy the callee may keep). */
  onFrame(frame: Uint8Array): void;
  /** The stream closed with `filled` bytes of an unfinished frame. */
  onTruncated(filled: number): void;
  /** The stream closed (after onTruncated, if any). */
  onClose?(error?: Error): void;
}

/** Attaches to `stream` and reassembles `size`-byte frames across chunk boundaries. */
export function readFrames(stream: Stream, size: number, handlers: FrameReaderHandlers): void {
  let partial = new Uint8Array(size);
  let filled = 0;
  const take = (chunk: Uint8Array): void => {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(size - filled, chunk.length - at);
      partial.set(chunk.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === size) {
        const frame = partial;
        partial = new Uint8Array(size);
        filled = 0;
        handlers.onFrame(frame);
      }
    }
  };
  stream.addEventListener('message', (evt) => {
    const data = evt.data;
    if (data instanceof Uint8Array) take(data);
    else for (const chunk of data) take(chunk);
  });
  // The remote finished sending: finish our (unused) side too.
  stream.addEventListener('remoteCloseWrite', () => {
    void stream.close().catch(() => undefined);
  });
  stream.addEventListener('close', (evt) => {
    if (filled > 0) handlers.onTruncated(filled);
    filled = 0;
    handlers.onClose?.(evt.error);
  });
}
