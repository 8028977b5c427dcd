// A deterministic uniform source (mulberry32) for statistical tests: the same
// draws every run, so a test of frequencies cannot flake.
import type { Uniform } from '../../protocol/traffic/uniform.js';

export function seededUniform(seed: number): Uniform {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
