// The shape of a local test network (docs/testnet.md): how many nodes of
// each role, the epoch length and the rates, and the nodes' names.

export type NodeRole = 'authority' | 'mix' | 'gateway';

export interface TestnetShape {
  authorities: number;
  layers: number;
  mixesPerLayer: number;
  gateways: number;
  epochDurationMs: number;
  /** μ, λ's for the network (per second). */
  mu: number;
  lambdaP: number;
  lambdaL: number;
  lambdaD: number;
  lambdaM: number;
  /**
   * Family declarations (docs/operators.md §Declaring a family): node name →
   * the names of the nodes it declares as its family. A family counts only
   * where its members declare each other; one-sided claims are allowed here
   * so tests can show they steer nothing. Default: none.
   */
  family?: Readonly<Record<string, readonly string[]>>;
}

export const DEFAULT_SHAPE: TestnetShape = {
  authorities: 3,
  layers: 3,
  mixesPerLayer: 2,
  gateways: 2,
  epochDurationMs: 15_000,
  // Testnet rates: short delays (mean 50 ms per hop) so a demo shows
  // messages within a second; production defaults are in docs/parameters.md.
  mu: 20,
  lambdaP: 4,
  lambdaL: 1,
  lambdaD: 1,
  lambdaM: 2,
};

/** The nodes of a network of this shape, in start order: authority-1…, mix-1…, gateway-a…. */
export function nodeNames(shape: TestnetShape): Array<{ name: string; role: NodeRole }> {
  return [
    ...Array.from({ length: shape.authorities }, (_, i) => ({ name: `authority-${i + 1}`, role: 'authority' as const })),
    ...Array.from({ length: shape.layers * shape.mixesPerLayer }, (_, i) => ({ name: `mix-${i + 1}`, role: 'mix' as const })),
    ...Array.from({ length: shape.gateways }, (_, i) => ({ name: `gateway-${String.fromCharCode(97 + i)}`, role: 'gateway' as const })),
  ];
}
