// Chaff's pinned vectors: a fresh clone checks both unwrapping (from the
// stored bytes) and packet creation (regenerated from the stored seeds).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { geometryFromUserForwardPayloadLength, Sphinx } from '../../../protocol/sphinx/index.js';
import { generateChaffVectors, type ChaffVectorFile } from '../../helpers/chaff-vectors.js';
import { verifyVectorCase } from '../../helpers/verify-vector.js';

const file = JSON.parse(readFileSync(new URL('../../vectors/sphinx_vectors.json', import.meta.url), 'utf8')) as ChaffVectorFile;

describe('Sphinx: Chaff pinned vectors', function () {
  it('covers 1–5 hops at the Katzenpost geometry and 5 hops at the production geometry, with and without SURB', function () {
    assert.deepEqual(
      file.sets.map((s) => [s.name, s.cases.length]),
      [
        ['katzenpost-geometry', 10],
        ['production', 2],
      ],
    );
  });

  for (const set of file.sets) {
    for (const c of set.cases) {
      it(`${c.seed}: unwraps hop by hop to the pinned bytes`, function () {
        verifyVectorCase(new Sphinx(geometryFromUserForwardPayloadLength(set.geometry)), c);
      });
    }
  }

  it('packet and SURB creation reproduce the pinned bytes from the seeds', function () {
    assert.deepEqual(generateChaffVectors(), file);
  });
});
