// Zachary's karate club: the friendships among 34 members of a university
// karate club, observed before it split in two (W. W. Zachary, "An
// Information Flow Model for Conflict and Fission in Small Groups",
// Journal of Anthropological Research 33(4), 452–473, 1977). The standard
// unweighted version: 34 members, 78 undirected edges (the UCINET ZACHE
// matrix; also networkx's karate_club_graph). A small real social graph
// with known community structure, for testing attacks end to end.
//
// Ids are 0..33 for Zachary's members 1..34 (names "1".."34").

import { SocialGraph } from './social-graph.js';

/** Zachary's numbering (1-based): each member followed by the higher-numbered members they are linked to. */
const KARATE_ROWS: ReadonlyArray<readonly [number, readonly number[]]> = [
  [1, [2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 18, 20, 22, 32]],
  [2, [3, 4, 8, 14, 18, 20, 22, 31]],
  [3, [4, 8, 9, 10, 14, 28, 29, 33]],
  [4, [8, 13, 14]],
  [5, [7, 11]],
  [6, [7, 11, 17]],
  [7, [17]],
  [9, [31, 33, 34]],
  [10, [34]],
  [14, [34]],
  [15, [33, 34]],
  [16, [33, 34]],
  [19, [33, 34]],
  [20, [34]],
  [21, [33, 34]],
  [23, [33, 34]],
  [24, [26, 28, 30, 33, 34]],
  [25, [26, 28, 32]],
  [26, [32]],
  [27, [30, 34]],
  [28, [34]],
  [29, [32, 34]],
  [30, [33, 34]],
  [31, [33, 34]],
  [32, [33, 34]],
  [33, [34]],
];

/**
 * The faction each member joined after the split (0: the instructor
 * "Mr. Hi", member 1; 1: the officer "John A.", member 34), by id, as
 * distributed with networkx (its 'club' attribute).
 */
export const KARATE_CLUB_FACTIONS: readonly number[] = Object.freeze(Array.from({ length: 34 }, (_, id) => ([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 17, 19, 21].includes(id) ? 0 : 1)));

export function karateClub(): SocialGraph {
  const edges = KARATE_ROWS.flatMap(([member, others]) => others.map((other) => ({ source: member - 1, target: other - 1 })));
  return new SocialGraph(34, edges, { names: Array.from({ length: 34 }, (_, id) => String(id + 1)) });
}
