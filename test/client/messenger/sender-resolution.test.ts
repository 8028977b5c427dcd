import assert from 'node:assert/strict';
import { messageContactField, strangerContactField } from '../../../client/messenger/sender-resolution.js';

describe('client/messenger/sender-resolution', () => {
  it("files a contact's and a key change's messages under the contact's name, a stranger's under \"?\" and its identity (the stored encoding)", () => {
    const request = { address: 'chaff1…', identity: 'ab'.repeat(32), firstMs: 0, messages: 0 };
    assert.equal(messageContactField({ kind: 'contact', name: 'bob' }), 'bob');
    assert.equal(messageContactField({ kind: 'key-changed', name: 'bob' }), 'bob');
    assert.equal(messageContactField({ kind: 'stranger', request }), `?${'ab'.repeat(32)}`);
    assert.equal(strangerContactField(request.identity), messageContactField({ kind: 'stranger', request }));
  });
});
