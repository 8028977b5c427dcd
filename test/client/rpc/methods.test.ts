import assert from 'node:assert/strict';
import { API_METHODS, InvalidParamsError, MAX_HISTORY_LIMIT, MAX_PASSPHRASE_LENGTH, validateParams } from '../../../client/rpc/methods.js';

const spec = (method: string) => {
  const s = API_METHODS.get(method);
  if (!s) throw new Error(`no ${method}`);
  return s.params;
};

describe('client/rpc/methods', function () {
  it('names every ClientApi call', function () {
    assert.deepEqual([...API_METHODS.keys()].sort(), [
      'address',
      'blocked.add',
      'blocked.list',
      'blocked.remove',
      'contacts.accept',
      'contacts.add',
      'contacts.list',
      'contacts.reject',
      'contacts.remove',
      'contacts.verify',
      'delivery-id.rotate',
      'file.data',
      'group.accept',
      'group.create',
      'group.decline',
      'group.history',
      'group.invite',
      'group.leave',
      'group.list',
      'group.read',
      'group.remove',
      'group.rename',
      'group.send.file',
      'group.send.text',
      'handle.claim',
      'handle.get',
      'handle.release',
      'history',
      'history.page',
      'inbox',
      'passphrase.strength',
      'profile.backup',
      'profile.passphrase',
      'read',
      'send.file',
      'send.text',
      'settings.get',
      'settings.set',
      'status',
      'verify',
    ]);
  });

  it('takes params by name or by position, and none for a method without params', function () {
    assert.deepEqual({ ...validateParams('contacts.add', spec('contacts.add'), { name: 'bob', address: 'chaff1x' }) }, { name: 'bob', address: 'chaff1x' });
    assert.deepEqual({ ...validateParams('contacts.add', spec('contacts.add'), ['bob', 'chaff1x']) }, { name: 'bob', address: 'chaff1x' });
    assert.deepEqual({ ...validateParams('history', spec('history'), ['bob']) }, { contact: 'bob' });
    assert.deepEqual({ ...validateParams('history.page', spec('history.page'), ['bob', 200, 'ab'.repeat(16)]) }, { contact: 'bob', limit: 200, before: 'ab'.repeat(16) });
    assert.deepEqual({ ...validateParams('status', spec('status'), undefined) }, {});
    assert.deepEqual({ ...validateParams('status', spec('status'), []) }, {});
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['contacts.add', { name: 'bob' }, /missing parameter "address"/],
    ['contacts.add', { name: 1, address: 'x' }, /"name" must be a string/],
    ['contacts.add', { name: 'a', address: 'b', extra: 1 }, /unknown parameter "extra"/],
    ['contacts.add', ['a', 'b', 'c'], /at most 2 parameters, got 3/],
    ['contacts.add', 'bob', /must be an object or an array/],
    ['contacts.add', null, /must be an object or an array/],
    ['contacts.verify', { name: 'a', verified: 'yes' }, /"verified" must be true or false/],
    ['contacts.accept', { name: 'a', unverify: 'yes' }, /"unverify" must be true or false/],
    ['history', { contact: 'a', limit: 0 }, /"limit" must be an integer from 1 to 10000/],
    ['history', { contact: 'a', limit: 2.5 }, /"limit" must be an integer/],
    ['history', { contact: 'a', limit: MAX_HISTORY_LIMIT + 1 }, /"limit" must be an integer/],
    ['history.page', { contact: 'a', limit: 0 }, /"limit" must be an integer from 1 to 10000/],
    ['history.page', { contact: 'a', before: 'not an id' }, /"before" must be a message id/],
    ['history.page', { contact: 'a', after: 'ab'.repeat(16) }, /unknown parameter "after"/],
    ['send.file', { contact: 'a', name: 'f', data: 'abc' }, /"data" must be a base64 string/],
    ['send.file', { contact: 'a', name: 'f', data: 'ab c' }, /"data" must be a base64 string/],
    ['file.data', { id: 'x'.repeat(32) }, /"id" must be a message id/],
    ['file.data', { id: 'ab' }, /"id" must be a message id/],
    ['status', { verbose: true }, /unknown parameter "verbose"/],
    ['settings.set', { lambdaP: -1 }, /"lambdaP" must be a rate from 0 to 1000 per second, or null/],
    ['settings.set', { lambdaL: 1001 }, /"lambdaL" must be a rate/],
    ['settings.set', { lambdaD: '2' }, /"lambdaD" must be a rate/],
    ['settings.set', { readReceipts: 'off' }, /"readReceipts" must be true or false/],
    ['settings.set', { colour: 'blue' }, /unknown parameter "colour"/],
    ['profile.passphrase', { current: 'a' }, /missing parameter "next"/],
    ['profile.passphrase', { current: 'a', next: 'b', acceptWeak: 'yes' }, /"acceptWeak" must be true or false/],
    ['profile.passphrase', { current: 'a', next: 'x'.repeat(MAX_PASSPHRASE_LENGTH + 1) }, /"next" must be a string of at most 4096 characters/],
    ['profile.backup', {}, /missing parameter "passphrase"/],
    ['passphrase.strength', { passphrase: 7 }, /"passphrase" must be a string/],
    ['handle.claim', {}, /missing parameter "name"/],
    ['handle.claim', { name: 7 }, /"name" must be a string/],
    ['handle.release', { name: 'alice' }, /unknown parameter "name"/],
  ];
  for (const [method, params, message] of bad) {
    it(`refuses ${method} ${JSON.stringify(params)}`, function () {
      assert.throws(
        () => validateParams(method, spec(method), params),
        (err: unknown) => err instanceof InvalidParamsError && message.test(err.message),
      );
    });
  }

  it('settings.set takes any subset, and null to remove a raise; the passphrase calls take acceptWeak by name or position', function () {
    assert.deepEqual({ ...validateParams('settings.set', spec('settings.set'), {}) }, {});
    assert.deepEqual({ ...validateParams('settings.set', spec('settings.set'), { readReceipts: false, lambdaP: 4.5, lambdaD: null }) }, { readReceipts: false, lambdaP: 4.5, lambdaD: null });
    assert.deepEqual({ ...validateParams('settings.set', spec('settings.set'), [true, 0, 1000]) }, { readReceipts: true, lambdaP: 0, lambdaL: 1000 });
    assert.deepEqual({ ...validateParams('profile.passphrase', spec('profile.passphrase'), ['old', 'new', true]) }, { current: 'old', next: 'new', acceptWeak: true });
    assert.deepEqual({ ...validateParams('profile.backup', spec('profile.backup'), { passphrase: 'p' }) }, { passphrase: 'p' });
  });

  it('an invalid passphrase parameter is refused without repeating its value', function () {
    const secret = 'y'.repeat(MAX_PASSPHRASE_LENGTH + 1);
    assert.throws(
      () => validateParams('profile.backup', spec('profile.backup'), { passphrase: secret }),
      (err: unknown) => err instanceof InvalidParamsError && !err.message.includes('yyyy'),
    );
  });

  it('accepts padded base64 and any-case message ids', function () {
    assert.doesNotThrow(() => validateParams('send.file', spec('send.file'), { contact: 'a', name: 'f', data: 'aGk=' }));
    assert.doesNotThrow(() => validateParams('send.file', spec('send.file'), { contact: 'a', name: 'f', data: '' }));
    assert.doesNotThrow(() => validateParams('file.data', spec('file.data'), { id: 'ABCDEF0123456789abcdef0123456789' }));
  });
});
