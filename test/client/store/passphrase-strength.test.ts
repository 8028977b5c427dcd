// The strength check of a new passphrase (docs/client.md §Passphrase
// strength): zxcvbn's guess estimate sorted into refused, weak and good.

import assert from 'node:assert/strict';
import { REFUSED_BELOW_LOG10, WEAK_BELOW_LOG10, assessPassphrase, describeStrength, verdictOf } from '../../../client/store/passphrase-strength.js';

describe('client/store/passphrase-strength', function () {
  this.timeout(10_000);

  it('sorts estimates at 10^6 and 10^10 guesses', () => {
    assert.equal(REFUSED_BELOW_LOG10, 6);
    assert.equal(WEAK_BELOW_LOG10, 10);
    assert.equal(verdictOf(5.99), 'refused');
    assert.equal(verdictOf(6), 'weak');
    assert.equal(verdictOf(9.99), 'weak');
    assert.equal(verdictOf(10), 'good');
  });

  it('refuses short, common and patterned passphrases', () => {
    for (const p of ['abc', 'password', 'P@ssw0rd', 'qwertyuiop', 'letmein1', 'aaaaaaaaaaaa', '12345678', 'iloveyou2026', 'bluefish42']) {
      assert.equal(assessPassphrase(p).verdict, 'refused', p);
    }
  });

  it('calls a middling one weak', () => {
    for (const p of ['Summer2025!', 'tiger lamp', 'horse battery', 'Gardenhose9']) assert.equal(assessPassphrase(p).verdict, 'weak', p);
  });

  it('takes several uncommon words, or a long odd sentence', () => {
    for (const p of ['violet stapler drifts under moss', 'seven quiet herons fold the map', 'correct horse battery staple ladder']) {
      const s = assessPassphrase(p);
      assert.equal(s.verdict, 'good', p);
      assert.ok(s.guessesLog10 >= 10);
    }
  });

  it("counts the profile's own words as easy guesses", () => {
    assert.ok(assessPassphrase('mychaffprofile', ['chaff', 'mychaffprofile']).guessesLog10 < assessPassphrase('mychaffprofile').guessesLog10);
  });

  it('explains the verdict without repeating the passphrase', () => {
    const text = describeStrength(assessPassphrase('password'));
    assert.match(text, /^this passphrase is too easy to guess: someone who copies your profile could find it in .* \(at 10,000 guesses a second\)\./);
    assert.match(text, /heavily used password/);
    assert.match(text, /Four or five random words/);
    assert.ok(!text.includes('"password"'));
    assert.match(describeStrength(assessPassphrase('violet stapler drifts under moss')), /^this passphrase is good/);
  });
});
