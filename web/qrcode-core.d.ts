// The one part of the `qrcode` package the app uses: its encoder, without
// the package's renderers (canvas, PNG, terminal), which the app does not
// need. The package's own types reference Node's; this declares only what
// web/qr-code.tsx calls.

declare module 'qrcode/lib/core/qrcode.js' {
  export interface QrSymbol {
    modules: { size: number; get(row: number, col: number): number | boolean };
  }
  export function create(text: string, options?: { errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H' }): QrSymbol;
}
