// Every chaos scenario, by name (docs/chaos.md). One file each (clock-skew.ts: ahead and behind).
import type { Scenario } from '../scenario.js';
import authorityDown from './authority-down.js';
import authorityPartition from './authority-partition.js';
import { clockSkewAhead, clockSkewBehind } from './clock-skew.js';
import gatewayRestart from './gateway-restart.js';
import layerDown from './layer-down.js';
import lossyLinks from './lossy-links.js';
import mixDown from './mix-down.js';

export const SCENARIOS: readonly Scenario[] = [mixDown, authorityDown, authorityPartition, lossyLinks, clockSkewAhead, clockSkewBehind, gatewayRestart, layerDown];

export function scenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
