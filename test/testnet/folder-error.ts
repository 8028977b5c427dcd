// An assert.throws / assert.rejects check for a TestnetFolderError of one code
// whose message matches a pattern (testnet/plan-file.ts).

import assert from 'node:assert/strict';
import { TestnetFolderError, type TestnetFolderErrorCode } from '../../testnet/plan-file.js';

export function refused(code: TestnetFolderErrorCode, pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof TestnetFolderError, `a TestnetFolderError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  };
}
