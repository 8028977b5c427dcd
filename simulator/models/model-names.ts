// The models this build of the simulator implements, in a module of their
// own so `chaff sim --help` can list them without loading the simulator.

/** Models this build of the simulator implements (the `model` key of a configuration). */
export const MODELS = ['threshold', 'population', 'pool', 'loopix', 'direct'] as const;
export type ModelName = (typeof MODELS)[number];
