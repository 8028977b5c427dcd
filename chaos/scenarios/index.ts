// Every chaos scenario, by name (docs/chaos.md). One file each.
import type { Scenario } from '../scenario.js';
import mixDown from './mix-down.js';

export const SCENARIOS: readonly Scenario[] = [mixDown];

export function scenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
