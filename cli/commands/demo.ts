// `chaff demo`: one Sphinx packet through a 5-hop path, hop by hop (cli/demo.ts).

import { ChaffCommand } from '../command.js';

export function demoProgram(): ChaffCommand {
  return new ChaffCommand('demo').description('build a 5-hop Sphinx packet and unwrap it hop by hop').runs(async () => (await import('../demo.js')).runDemo());
}
