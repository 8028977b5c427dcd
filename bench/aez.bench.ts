// AEZv5 as the Sphinx payload SPRP: µs per 2048-byte encryption for
// protocol/crypto/aez.ts, against node:crypto AES-256-CTR over the same bytes
// (the baseline, measured in the same run) and against the npm `aez` package
// that it replaces.

import { createCipheriv } from 'node:crypto';
import { createRequire } from 'node:module';
import { sprpEncrypt } from '../protocol/crypto/aez.js';
import { systemRandom } from '../protocol/crypto/random.js';
import { round, timeRelative, type Benchmark } from './harness.js';

interface NpmAez {
  encrypt(key: Buffer, nonce: Buffer, ad: Buffer[], tau: number, plaintext: Buffer): Buffer;
}

const BYTES = 2048;

export const benchmarks: Benchmark[] = [
  {
    name: 'aez.sprp2k',
    description: 'µs per 2048-byte AEZv5 SPRP encryption (tau 0), against node:crypto AES-256-CTR and the npm aez package',
    async run() {
      const npmAez = createRequire(import.meta.url)('aez') as NpmAez;
      const key = systemRandom(48);
      const nonce = systemRandom(16);
      const buf = systemRandom(BYTES);
      const ours = () => sprpEncrypt(key, nonce, buf, buf);
      const aesKey = systemRandom(32);
      const iv = systemRandom(16);
      const aesCtr = () => void createCipheriv('aes-256-ctr', aesKey, iv).update(buf);
      const [kB, nB, pB] = [Buffer.from(key), Buffer.from(nonce), Buffer.from(buf)];
      const npm = () => void npmAez.encrypt(kB, nB, [], 0, pB);

      const vsCtr = timeRelative(ours, aesCtr);
      const vsNpm = timeRelative(npm, ours, { batches: 5, batchMs: 80 });
      return {
        bytes: BYTES,
        us: round(vsCtr.us),
        aesCtrUs: round(vsCtr.baselineUs),
        ratioVsAesCtr: round(vsCtr.ratio),
        npmAezUs: round(vsNpm.us),
        speedupVsNpm: round(vsNpm.ratio),
      };
    },
  },
];
