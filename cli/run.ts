// Runs `chaff` with this process's arguments: the entry of bin/chaff.js (through
// tsx) and of the bundle the test suite builds (testnet/chaff-bundle.ts).

import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
