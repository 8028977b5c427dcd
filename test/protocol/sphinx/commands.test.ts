import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { decodeCommand, decodeCommands, delay, encodeCommand, encodeCommands, nextHop, recipient, SphinxError, surbReply } from '../../../protocol/sphinx/index.js';
import { readKatzenpostVectors, type KatzenpostCommandVectors } from '../../helpers/katzenpost.js';

const rejects = (fn: () => unknown, code = 'bad-command') => assert.throws(fn, (err: unknown) => err instanceof SphinxError && err.code === code);

describe('Sphinx routing commands', function () {
  describe('Katzenpost command vectors', function () {
    const v = readKatzenpostVectors<KatzenpostCommandVectors>('sphinx_commands_vectors.json');
    before(function () {
      if (!v) this.skip();
    });
    it('encodes and decodes next hop, recipient, SURB reply and delay as Katzenpost does', function () {
      const cases: Array<[ReturnType<typeof nextHop> | ReturnType<typeof recipient> | ReturnType<typeof surbReply> | ReturnType<typeof delay>, string]> = [
        [nextHop(fromHex(v!.NextHopID), fromHex(v!.NextHopMAC)), v!.NextHopCmdWant],
        [recipient(fromHex(v!.RecipientID)), v!.RecipientCmdWant],
        [surbReply(fromHex(v!.SURBReplyID)), v!.SURBReplyCmdWant],
        [delay(v!.NodeDelay), v!.NodeDelayCmdWant],
      ];
      for (const [cmd, want] of cases) {
        assert.equal(toHex(encodeCommand(cmd)), want);
        assert.deepEqual(decodeCommand(fromHex(want)), cmd);
      }
    });
  });

  // Our own pinned encodings, so a fresh clone checks the byte layout too.
  it('pins the byte layout of every command', function () {
    const id32 = Uint8Array.from({ length: 32 }, (_, i) => i);
    const mac32 = Uint8Array.from({ length: 32 }, (_, i) => 0xff - i);
    const id16 = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    assert.equal(toHex(encodeCommand(nextHop(id32, mac32))), '01' + toHex(id32) + toHex(mac32));
    assert.equal(toHex(encodeCommand(recipient(id32))), '02' + toHex(id32));
    assert.equal(toHex(encodeCommand(surbReply(id16))), '03' + 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
    assert.equal(toHex(encodeCommand(delay(0x01020304))), '8001020304');
    assert.equal(toHex(encodeCommand(delay(0xffffffff))), '80ffffffff');
  });

  it('decodes a block of commands ended by null padding', function () {
    const cmds = [delay(250), recipient(new Uint8Array(32).fill(7))];
    const block = new Uint8Array(82);
    block.set(encodeCommands(cmds));
    assert.deepEqual(decodeCommands(block), cmds);
    assert.deepEqual(decodeCommands(new Uint8Array(82)), []);
    assert.deepEqual(decodeCommands(encodeCommands(cmds)), cmds, 'a block may end without a null command');
  });

  it('rejects unknown tags, truncation, non-zero padding and duplicates', function () {
    rejects(() => decodeCommands(Uint8Array.of(0x04, 0, 0)));
    rejects(() => decodeCommands(Uint8Array.of(0x7f)));
    rejects(() => decodeCommands(Uint8Array.of(0x80, 1, 2)));
    rejects(() => decodeCommands(Uint8Array.of(0x01, ...new Uint8Array(40))));
    rejects(() => decodeCommands(Uint8Array.of(0x00, 0, 0, 1)));
    const hop = encodeCommand(nextHop(new Uint8Array(32), new Uint8Array(32)));
    rejects(() => decodeCommands(Uint8Array.of(...hop, ...hop)));
    const reply = encodeCommand(surbReply(new Uint8Array(16)));
    rejects(() => decodeCommands(Uint8Array.of(...reply, ...reply)));
  });

  it('decodeCommand wants exactly one command', function () {
    rejects(() => decodeCommand(new Uint8Array(0)));
    rejects(() => decodeCommand(Uint8Array.of(0x80, 0, 0, 0, 1, 0)));
    rejects(() => decodeCommand(Uint8Array.of(0x00)));
  });

  it('refuses to build malformed commands', function () {
    rejects(() => nextHop(new Uint8Array(31), new Uint8Array(32)));
    rejects(() => recipient(new Uint8Array(33)));
    rejects(() => surbReply(new Uint8Array(32)));
    rejects(() => delay(-1));
    rejects(() => delay(2 ** 32));
    rejects(() => delay(1.5));
  });
});
