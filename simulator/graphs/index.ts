// Social graphs for the simulator: the type, random generators, a real
// graph (Zachary's karate club) and a CSV edge-list loader.
export * from './social-graph.js';
export * from './erdos-renyi.js';
export * from './barabasi-albert.js';
export * from './watts-strogatz.js';
export * from './stochastic-block.js';
export * from './karate-club.js';
export * from './csv-edge-list.js';
