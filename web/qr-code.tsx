// A QR code as inline SVG (the `qrcode` package's encoder, drawn here): no
// canvas, no data URL, nothing the CSP has to allow. Four modules of quiet
// zone around it, as ISO/IEC 18004 asks, on white so a phone can read it in
// the dark theme too.

import { useMemo } from 'preact/hooks';
import { create } from 'qrcode/lib/core/qrcode.js';

const QUIET = 4;

/** One path of 1×1 squares, one per dark module. */
function modulesPath(text: string): { size: number; d: string } {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const parts: string[] = [];
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) if (modules.get(row, col)) parts.push(`M${col + QUIET} ${row + QUIET}h1v1h-1z`);
  }
  return { size: modules.size + 2 * QUIET, d: parts.join('') };
}

/** `large`: for long texts (an address is version 12, 65 modules a side), so a phone's camera resolves the modules. */
export function QrCode({ text, label, large = false }: { text: string; label: string; large?: boolean }) {
  const { size, d } = useMemo(() => modulesPath(text), [text]);
  return (
    <svg class={large ? 'qr large' : 'qr'} role="img" aria-label={label} viewBox={`0 0 ${size} ${size}`} shape-rendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
