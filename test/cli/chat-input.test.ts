import assert from 'node:assert/strict';
import { parseChatLine } from '../../cli/client/chat-input.js';

describe('chaff client chat: what a typed line asks for', function () {
  it('a line is a text, as typed; // sends a text starting with /; a blank line nothing', function () {
    assert.deepEqual(parseChatLine('  hello there '), { kind: 'text', text: '  hello there ' });
    assert.deepEqual(parseChatLine('//etc/passwd is a path'), { kind: 'text', text: '/etc/passwd is a path' });
    assert.deepEqual(parseChatLine('   '), { kind: 'nothing' });
  });

  it('slash commands, their misuse and unknown ones', function () {
    assert.deepEqual(parseChatLine('/quit'), { kind: 'quit' });
    assert.deepEqual(parseChatLine(' /exit '), { kind: 'quit' });
    assert.deepEqual(parseChatLine('/help'), { kind: 'help' });
    assert.deepEqual(parseChatLine('/verify'), { kind: 'verify' });
    assert.deepEqual(parseChatLine('/file  my notes.txt '), { kind: 'file', path: 'my notes.txt' });
    assert.deepEqual(parseChatLine('/file'), { kind: 'usage', hint: 'usage: /file PATH' });
    assert.deepEqual(parseChatLine('/bogus x'), { kind: 'unknown', command: '/bogus' });
  });
});
