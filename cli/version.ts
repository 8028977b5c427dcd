// `chaff --version`: the release (package.json) and the format versions it
// speaks, so two operators can tell at a glance whether their nodes can talk
// (docs/compatibility.md).

import { readFileSync } from 'node:fs';
import { DOCUMENT_VERSION } from '../protocol/pki/document.js';
import { FETCH_VERSION } from '../protocol/wire/fetch.js';
import { HANDLE_FORMAT_VERSION } from '../protocol/wire/handle.js';
import { REGISTER_VERSION } from '../protocol/wire/register.js';

/** The `version` field of the package.json beside cli/. */
export function chaffVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}

/** The line `chaff --version` prints. */
export function versionLine(): string {
  return `chaff ${chaffVersion()} (document format ${DOCUMENT_VERSION}, fetch ${FETCH_VERSION}, register ${REGISTER_VERSION}, handle ${HANDLE_FORMAT_VERSION}; Node.js ${process.version})`;
}
