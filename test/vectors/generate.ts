// Regenerates test/vectors/sphinx_vectors.json. Only after a deliberate
// format change: the test fails when the file and the code disagree.
import { writeFileSync } from 'node:fs';
import { generateChaffVectors } from '../helpers/chaff-vectors.js';

const file = new URL('./sphinx_vectors.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(generateChaffVectors(), null, 1)}\n`);
process.stdout.write(`wrote ${file.pathname}\n`);
