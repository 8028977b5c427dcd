#!/usr/bin/env node
// The `chaff` command. Chaff is written in TypeScript and run with tsx, so a
// checkout needs no build step: `npm install`, then `npx chaff …`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
