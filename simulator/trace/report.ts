// What `chaff sim attack` writes (docs/simulator.md §Trace mode), in the
// shape of `chaff sim run`'s output (simulator/run.ts writeResults):
//
//   results.json  inputs (files, their roles, which gateways are corrupt),
//                 parameters, the observed period, metrics, curves, per-user
//                 counts, the truth's pairs
//   users.csv     one line per user: id,gateway,sends,packetsPerSecond,fetches,
//                 messageDeposits,surbReplyDeposits,messagesSent,messagesReceived
//   edges.csv     the truth: from,to,messages
//   curves.csv    recovery over observation time: timeS,attack,auc,averagePrecision,
//                 precisionAtDegree,linkageAuc
//   recovery-*.svg  each recovery metric against observation time
//   index.html    the self-contained report (simulator/report/html.ts)

import type { CsvValue } from '../report/csv.js';
import type { ReportTable } from '../report/html.js';
import { writeResultsFolder } from '../report/results-folder.js';
import { recoveryCurvePlots, type CsvTable, type CurveMetric, type PlannedPlot } from '../models/run-report.js';
import type { TraceAttackResults } from './attack.js';

const CURVE_METRICS: readonly CurveMetric[] = [
  ['auc', 'ROC AUC', 'AUC of the pair scores against the truth’s pairs (0.5 = chance).'],
  ['averagePrecision', 'Average precision', 'Area under the precision–recall curve (chance = the share of pairs in the truth).'],
  ['precisionAtDegree', 'Precision at degree', 'Share of true recipients among each sender’s d top-scored recipients, d = their true out-degree.'],
  ['linkageAuc', 'Linkage AUC', 'Per recipient: AUC of which senders write to them, averaged; 0.5 for anything that knows only who receives how much.'],
];

/** The first 16 hex digits of a mailbox id, for tables a person reads (the CSVs and results.json keep the whole id). */
export function shortId(id: string): string {
  return id.length > 16 ? `${id.slice(0, 16)}…` : id;
}

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(digits))) : '–';
}

export function traceCsvTables(r: TraceAttackResults): CsvTable[] {
  const userColumns = ['id', 'gateway', 'sends', 'packetsPerSecond', 'fetches', 'messageDeposits', 'surbReplyDeposits', 'messagesSent', 'messagesReceived'] as const;
  const curveRows: CsvValue[][] = r.curves.recovery.flatMap((c) => Object.entries(c.recovery).map(([name, x]) => [c.timeS, name, x.auc, x.averagePrecision, x.precisionAtDegree, x.linkageAuc]));
  return [
    {
      file: 'users.csv',
      label: 'per user: the gateway, packets sent and per second, fetches, deposits by kind, truth messages',
      header: [...userColumns],
      rows: r.users.map((u) => userColumns.map((k) => u[k])),
    },
    { file: 'edges.csv', label: 'the truth: every (from, to) pair and its messages', header: ['from', 'to', 'messages'], rows: r.truthEdges.map((e) => [e.from, e.to, e.messages]) },
    { file: 'curves.csv', label: 'recovery over observation time', header: ['timeS', 'attack', 'auc', 'averagePrecision', 'precisionAtDegree', 'linkageAuc'], rows: curveRows },
  ];
}

export function tracePlots(r: TraceAttackResults): PlannedPlot[] {
  return recoveryCurvePlots(r.curves.recovery, CURVE_METRICS, 'popularity is a reference that links nobody.');
}

function tables(r: TraceAttackResults): ReportTable[] {
  const c = r.metrics.counts;
  return [
    {
      title: 'Recovery of who writes to whom at the end',
      columns: ['attack', 'AUC', 'average precision', 'precision at degree', 'linkage AUC'],
      rows: Object.entries(r.metrics.recovery).map(([name, x]) => [name, x.auc, x.averagePrecision, x.precisionAtDegree, x.linkageAuc]),
      caption: `Over the ${c.users * (c.users - 1)} ordered pairs of distinct users, ${c.truthEdges} of them in the truth. popularity scores every pair by the recipient’s observed deposits: a reference that links nobody.`,
    },
    {
      title: 'Counts',
      columns: ['count', 'value'],
      rows: Object.entries(c).map(([k, v]) => [k, v]),
      caption:
        'packetsPerUserPerSecond: mean over the users seen sending. observedDeposits: message deposits at corrupt gateways (the attacks’ outputs). messagesInPeriod: truth messages written between the first and last observer event.',
    },
    {
      title: 'When users write',
      columns: ['score', 'value'],
      rows: Object.entries(r.metrics.activity).map(([k, v]) => [k, v]),
      caption:
        'ROC AUC, over users and windows, of what the observer counts against whether the truth says the user wrote a message in that window (0.5: the count says nothing). ackAuc: SURB-ACKs stored for users behind a corrupt gateway; sendAuc: packets seen leaving the client.',
    },
    {
      title: 'Users',
      columns: ['user', 'gateway', 'packets', 'packets/s', 'fetches', 'message deposits', 'SURB-reply deposits', 'messages written (truth)', 'messages received (truth)'],
      rows: r.users.map((u) => [shortId(u.id), u.gateway ?? '–', u.sends, u.packetsPerSecond, u.fetches, u.messageDeposits, u.surbReplyDeposits, u.messagesSent, u.messagesReceived]),
      caption: 'A user who sends without cover traffic shows their messages in their packet counts; users with no truth lines count as writing to nobody.',
    },
    {
      title: 'Truth',
      columns: ['from', 'to', 'messages'],
      rows: r.truthEdges.map((e) => [shortId(e.from), shortId(e.to), e.messages]),
    },
  ];
}

/**
 * Writes into `outDir` (created if needed): results.json, users.csv,
 * edges.csv, curves.csv, the recovery plots and index.html. Returns the paths.
 */
export async function writeTraceResults(r: TraceAttackResults, outDir: string): Promise<string[]> {
  const p = r.parameters;
  return writeResultsFolder(outDir, {
    results: r,
    resultsLabel: 'inputs, parameters, every metric, curves, per-user counts, the truth',
    tables: traceCsvTables(r),
    plots: tracePlots(r),
    report: {
      title: `Trace attack: ${r.metrics.counts.users} users, ${fmt(r.period.durationS, 4)} s observed, ${r.period.windows} windows of ${p.windowS} s`,
      parameters: {
        model: r.model,
        windowS: p.windowS,
        curvePoints: p.curvePoints,
        attacks: p.attacks,
        activity: p.activity,
        corruptGateways: p.corruptGateways,
        ...Object.fromEntries(r.inputs.files.map((f) => [f.path, `${f.role}, ${f.events} events${f.corrupt ? ', corrupt gateway' : ''}`])),
        'period.start': new Date(r.period.startMs).toISOString(),
        'period.end': new Date(r.period.endMs).toISOString(),
      },
      tables: tables(r),
      notes: [
        'Observer: every client link (each user’s packets, real and cover alike) and, at corrupt gateways, the deposits into their users’ mailboxes (message kind: real messages and the gateway’s own users’ loops alike). See docs/simulator.md §Trace mode.',
        `sda and lsda see per-window counts (activity: ${p.activity === 'acks' ? 'SURB-ACKs for users behind a corrupt gateway, else packets sent' : 'packets sent'}; message deposits per recipient at corrupt gateways). gsda weights each deposit by the senders’ shares of the packets sent in the ${p.windowS} s before it: a trace has no mix links to trace it through.`,
        'The last window may be shorter than the others. The truth’s pairs are directed: a reply is its own pair.',
      ],
    },
  });
}

/** A few lines for the terminal; everything is in results.json. */
export function describeTraceResults(r: TraceAttackResults): string {
  const c = r.metrics.counts;
  const rec = (key: 'auc' | 'linkageAuc'): string =>
    Object.entries(r.metrics.recovery)
      .map(([name, x]) => `${name} ${fmt(x[key])}`)
      .join(', ');
  const rates = r.users.filter((u) => u.sends > 0).map((u) => u.packetsPerSecond);
  const noTruth = c.users - c.truthUsers;
  return (
    [
      `trace: ${c.users} users (${c.truthUsers} in the truth), ${fmt(r.period.durationS, 4)} s observed in ${r.period.windows} windows of ${r.parameters.windowS} s; ${c.gateways} gateways traced, ${c.corruptGateways} corrupt`,
      `packets per user per second: mean ${fmt(c.packetsPerUserPerSecond)}` + (rates.length ? ` (min ${fmt(Math.min(...rates))}, max ${fmt(Math.max(...rates))}, ${rates.length} users sending)` : ''),
      `deposits seen at corrupt gateways: ${c.observedDeposits} messages; truth: ${c.messages} messages, ${c.truthEdges} (from, to) pairs`,
      `ROC AUC at the end: ${rec('auc')}`,
      `linkage AUC (per recipient; 0.5 = no link found): ${rec('linkageAuc')}`,
      `when users write (AUC over user-windows; 0.5 = nothing shows): SURB-ACKs at corrupt gateways ${fmt(r.metrics.activity.ackAuc)}, packets sent ${fmt(r.metrics.activity.sendAuc)}`,
      ...(noTruth > 0 ? [`${noTruth} users have no truth lines: they count as writing to nobody`] : []),
    ].join('\n') + '\n'
  );
}
