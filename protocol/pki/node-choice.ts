// Choosing a node of a document by what a user typed: a node id or identity
// key (64 hex digits), or a name (docs/pki.md §Names).
//
// Names are labels an operator writes into a node's config; nothing checks
// them, and a document may list one name more than once (the build never
// drops or renames a node for its name, or a squatter could push an honest
// node out of the document by claiming its name first). So a name chooses a
// node only when exactly one node of the whole document carries it; otherwise
// the choice is refused with the candidates' ids, which the user can pass
// instead. A string of 64 hex digits is always an id, never a name: a node
// named after another node's id must not capture that id.

import { toHex } from '../bytes.js';
import type { Document, NodeEntry } from './document.js';

export type NodeChoiceErrorCode = 'not-found' | 'ambiguous';

export class NodeChoiceError extends Error {
  readonly code: NodeChoiceErrorCode;
  /** The nodes the wanted name or id could mean (ambiguous), or those to choose from (not found). */
  readonly candidates: readonly NodeEntry[];
  constructor(code: NodeChoiceErrorCode, message: string, candidates: readonly NodeEntry[]) {
    super(message);
    this.name = 'NodeChoiceError';
    this.code = code;
    this.candidates = candidates;
  }
}

const ID = /^[0-9a-fA-F]{64}$/;

/** "name (node id …, identity key …)", for listing candidates. */
export function describeNode(e: NodeEntry): string {
  return `${e.name} (node id ${toHex(e.nodeId)}, identity key ${toHex(e.identityKey)})`;
}

/** Lists at most this many nodes a "not found" error offers instead (a large network has many). */
const MAX_LISTED = 16;

function listed(nodes: readonly NodeEntry[]): string {
  if (nodes.length === 0) return 'none';
  const more = nodes.length - MAX_LISTED;
  return nodes.slice(0, MAX_LISTED).map(describeNode).join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/**
 * The node among `among` (e.g. the document's gateways; `what` names them)
 * that `wanted` designates: by node id or identity key when it is 64 hex
 * digits, else by name, which must be carried by exactly one node of the
 * whole document. Throws NodeChoiceError.
 */
export function chooseNode(doc: Document, among: readonly NodeEntry[], wanted: string, what: string): NodeEntry {
  if (ID.test(wanted)) {
    const hex = wanted.toLowerCase();
    const found = among.filter((e) => toHex(e.nodeId) === hex || toHex(e.identityKey) === hex);
    if (found.length === 1) return found[0];
    if (found.length > 1) throw new NodeChoiceError('ambiguous', `${wanted} is the id of more than one ${what}: ${found.map(describeNode).join('; ')}`, found);
    throw new NodeChoiceError('not-found', `no ${what} with the id ${wanted} in the current document; ${what}s: ${listed(among)}`, among);
  }
  const named = [...doc.gateways, ...doc.layers.flat()].filter((e) => e.name === wanted);
  if (named.length > 1) {
    throw new NodeChoiceError(
      'ambiguous',
      `${named.length} nodes of the current document are named "${wanted}", so the name chooses none of them; pass the node id of the one you mean: ${named.map(describeNode).join('; ')}`,
      named,
    );
  }
  const found = named.filter((e) => among.includes(e));
  if (found.length === 1) return found[0];
  throw new NodeChoiceError('not-found', `no ${what} named "${wanted}" in the current document; ${what}s: ${listed(among)}`, among);
}
