// A terminal double for the passphrase prompts (cli/passphrase.ts): raw mode
// is recorded, and what the test types arrives as 'data' on the next tick.

import { EventEmitter } from 'node:events';
import type { PromptInput } from '../../cli/passphrase.js';

export class FakeTty extends EventEmitter implements PromptInput {
  isTTY = true;
  raw: boolean[] = [];
  /** How many times a prompt started listening: a test types a line once a new prompt is there. */
  listens = 0;
  setRawMode(raw: boolean) {
    this.raw.push(raw);
  }
  resume() {}
  pause() {}
  type(text: string) {
    setImmediate(() => this.emit('data', Buffer.from(text)));
  }
  override on(event: 'data', listener: (chunk: Buffer | string) => void): this {
    this.listens++;
    return super.on(event, listener);
  }
  override off(event: 'data', listener: (chunk: Buffer | string) => void): this {
    return super.off(event, listener);
  }
}
