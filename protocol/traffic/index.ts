// Traffic timing shared by node, client and simulator: the simulator measures
// the code we ship. See docs/traffic.md.
export * from './exponential.js';
export { cryptoUniform, type Uniform } from '../crypto/random.js';
export * from './client-streams.js';
export type { Clock, TimerHandle } from './clock.js';
