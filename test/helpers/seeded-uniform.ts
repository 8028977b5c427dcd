// A deterministic uniform source for statistical tests (the same draws every
// run, so a test of frequencies cannot flake): the simulator's seeded source,
// the one seeded generator of the project.
export { seededUniform } from '../../simulator/random.js';
