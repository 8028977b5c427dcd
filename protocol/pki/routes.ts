// Routes through the stratified topology of a verified document (Loopix
// §4.2): every packet crosses the layers in order, so cover and real packets
// take the same kinds of links.
//
//   client packet: entry gateway → layer 1 → … → layer n → exit gateway
//   mix loop:      (from a mix in layer k) layer k+1 → … → layer n → a gateway
//                  → layer 1 → … → layer k−1 → the mix itself
//
// No two nodes of one family (families.ts) are ever on one path: the mixes
// (and a mix loop's gateway) are drawn uniformly and independently per layer,
// and a draw with two nodes of one family is drawn again, so every allowed
// path keeps the probability it had, relative to the others (docs/pki.md
// §Families). The entry and exit gateways of a client route are the users'
// own choice and may be one node or one family; no mix of their families is
// used between them.

import { toHex } from '../bytes.js';
import type { Uniform } from '../crypto/random.js';
import type { Document, NodeEntry } from './document.js';
import { Families } from './families.js';

export class RouteError extends Error {
  constructor(message: string) {
    super(`route: ${message}`);
    this.name = 'RouteError';
  }
}

function pick<T>(items: readonly T[], uniform: Uniform, what: string): T {
  if (items.length === 0) throw new RouteError(`no ${what} in the document`);
  return items[Math.min(items.length - 1, Math.floor(uniform() * items.length))];
}

/** One position of a path to fill: the nodes it may take. */
interface Slot {
  nodes: readonly NodeEntry[];
  what: string;
}

/**
 * Draws so many whole paths before switching to the constructive draw below.
 * Without families the first draw always succeeds, with exactly one uniform
 * draw per slot as before families existed.
 */
const REDRAWS = 64;

/**
 * One node per slot such that no two nodes of the path, `fixed` ones
 * included, share a family (except the fixed ones among themselves).
 */
function pickPath(slots: readonly Slot[], fixed: readonly NodeEntry[], families: Families, uniform: Uniform): NodeEntry[] {
  for (const s of slots) if (s.nodes.length === 0) throw new RouteError(`no ${s.what} in the document`);
  const fixedFamilies = fixed.map((e) => families.familyOfEntry(e));
  const drawn: string[] = [];
  for (let attempt = 0; attempt < REDRAWS; attempt++) {
    const path = slots.map((s) => pick(s.nodes, uniform, s.what));
    drawn.length = 0;
    for (const e of path) {
      const f = families.familyOfEntry(e);
      if (fixedFamilies.includes(f) || drawn.includes(f)) break;
      drawn.push(f);
    }
    if (drawn.length === path.length) return path;
  }
  return pickPathStepwise(slots, new Set(fixedFamilies), families, uniform);
}

/**
 * When allowed paths are rare: slot by slot, a node drawn uniformly among
 * those that still leave a way to fill the later slots (a matching of the
 * remaining slots to distinct families, found by augmenting paths). Every
 * allowed path remains possible; if there is none, a RouteError says so.
 */
function pickPathStepwise(slots: readonly Slot[], fixedFamilies: ReadonlySet<string>, families: Families, uniform: Uniform): NodeEntry[] {
  const familiesOfSlot = slots.map((s) => new Set(s.nodes.map((e) => families.familyOfEntry(e))));
  const path: NodeEntry[] = [];
  const used = new Set(fixedFamilies);
  for (let i = 0; i < slots.length; i++) {
    const fits = new Map<string, boolean>();
    const candidates = slots[i].nodes.filter((e) => {
      const f = families.familyOfEntry(e);
      if (used.has(f)) return false;
      if (!fits.has(f)) fits.set(f, canFill(familiesOfSlot.slice(i + 1), new Set([...used, f])));
      return fits.get(f)!;
    });
    if (candidates.length === 0) throw new RouteError(whyNoPath(slots, fixedFamilies, families));
    const chosen = pick(candidates, uniform, slots[i].what);
    path.push(chosen);
    used.add(families.familyOfEntry(chosen));
  }
  return path;
}

/** Whether each slot can take a node of its own family, none in `used` (Kuhn's bipartite matching). */
function canFill(slotFamilies: readonly ReadonlySet<string>[], used: ReadonlySet<string>): boolean {
  const holder = new Map<string, number>(); // family → slot it is matched to
  const augment = (slot: number, seen: Set<string>): boolean => {
    for (const f of slotFamilies[slot]) {
      if (used.has(f) || seen.has(f)) continue;
      seen.add(f);
      const other = holder.get(f);
      if (other === undefined || augment(other, seen)) {
        holder.set(f, slot);
        return true;
      }
    }
    return false;
  };
  return slotFamilies.every((_, slot) => augment(slot, new Set()));
}

function whyNoPath(slots: readonly Slot[], fixedFamilies: ReadonlySet<string>, families: Families): string {
  const blocked = slots.find((s) => s.nodes.every((e) => fixedFamilies.has(families.familyOfEntry(e))));
  if (blocked) return `every ${blocked.what} belongs to the family of an end of the path; no route avoids two nodes of one family`;
  return `the document has too few nodes outside each other's families for a route with no two nodes of one family (${slots.map((s) => s.what).join(', ')})`;
}

/** Looks nodes up in a document by Sphinx node id. */
export class Topology {
  readonly document: Document;
  /** The families the document's nodes declared mutually (families.ts). */
  readonly families: Families;
  readonly #byId = new Map<string, { entry: NodeEntry; layer: number | 'gateway' }>();

  constructor(document: Document) {
    this.document = document;
    for (const g of document.gateways) this.#byId.set(toHex(g.nodeId), { entry: g, layer: 'gateway' });
    document.layers.forEach((layer, i) => {
      for (const m of layer) this.#byId.set(toHex(m.nodeId), { entry: m, layer: i });
    });
    this.families = new Families([...document.gateways, ...document.layers.flat()]);
  }

  get epoch(): number {
    return this.document.epoch;
  }

  /** The node with Sphinx id `nodeId`, or undefined. */
  node(nodeId: Uint8Array): NodeEntry | undefined {
    return this.#byId.get(toHex(nodeId))?.entry;
  }

  /** The mix layer (0-based) of `nodeId`, 'gateway', or undefined if absent. */
  layerOf(nodeId: Uint8Array): number | 'gateway' | undefined {
    return this.#byId.get(toHex(nodeId))?.layer;
  }

  /** entry gateway, one random mix per layer in order, exit gateway; no mix of the family of another node on the path. */
  clientRoute(entryGateway: Uint8Array, exitGateway: Uint8Array, uniform: Uniform): NodeEntry[] {
    const entry = this.node(entryGateway);
    const exit = this.node(exitGateway);
    if (!entry || this.layerOf(entryGateway) !== 'gateway') throw new RouteError('the entry gateway is not a gateway of this epoch');
    if (!exit || this.layerOf(exitGateway) !== 'gateway') throw new RouteError('the exit gateway is not a gateway of this epoch');
    const slots = this.document.layers.map((nodes, i) => ({ nodes, what: `mix in layer ${i + 1}` }));
    return [entry, ...pickPath(slots, [entry, exit], this.families, uniform), exit];
  }

  /** A loop from the mix `self` through the later layers, a gateway, the earlier layers, and back to itself. */
  mixLoopRoute(self: Uint8Array, uniform: Uniform): NodeEntry[] {
    const layer = this.layerOf(self);
    const me = this.node(self);
    if (typeof layer !== 'number' || !me) throw new RouteError('this node is not a mix of this epoch');
    const layers = this.document.layers;
    const slots: Slot[] = [
      ...layers.slice(layer + 1).map((nodes, i) => ({ nodes, what: `mix in layer ${layer + i + 2}` })),
      { nodes: this.document.gateways, what: 'gateway' },
      ...layers.slice(0, layer).map((nodes, i) => ({ nodes, what: `mix in layer ${i + 1}` })),
    ];
    return [...pickPath(slots, [me], this.families, uniform), me];
  }
}
