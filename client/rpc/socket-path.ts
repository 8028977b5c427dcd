// Where a profile's daemon listens: `<profileDir>/client.sock`, a Unix-domain
// socket only its user may open (docs/client-api.md §Transport).

import { Buffer } from 'node:buffer';
import { join } from 'node:path';

export const CLIENT_SOCKET_NAME = 'client.sock';

export function clientSocketPath(profileDir: string): string {
  return join(profileDir, CLIENT_SOCKET_NAME);
}

/**
 * The longest socket path the kernel takes (sun_path, including the
 * terminating NUL): 108 bytes on Linux, 104 on macOS and the BSDs.
 */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

export function socketPathTooLong(path: string): boolean {
  return Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES;
}
