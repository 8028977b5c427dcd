// Files between the browser and the daemon's API, which carries their bytes
// as base64 (docs/client-api.md §Methods: send.file, file.data).

/** The file's bytes as base64 (RFC 4648, padded), as send.file takes them. */
export function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      // A data URL: "data:<type>;base64,<data>".
      const url = reader.result as string;
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error(`cannot read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

function fromBase64(data: string): Uint8Array<ArrayBuffer> {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Hands the bytes to the browser as a download named `name` (the browser cleans the name for its file system). */
export function saveFile(name: string, data: string): void {
  const url = URL.createObjectURL(new Blob([fromBase64(data)], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started from the URL by now; a minute leaves room for a slow save dialog.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
