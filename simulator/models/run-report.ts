// What `chaff sim run` writes beside results.json for each model: CSV
// tables, plot specifications (rendered to SVG by run.ts) and the content
// of index.html (simulator/report).
//
//   threshold   runs.csv (seed,roundsToDisclosure); histogram and CDF of the rounds
//   population  runs.csv (seed,rounds,mse); the LSDA error against rounds, log-log
//   pool        runs.csv (one line per seed); histogram of the rounds
//   loopix, direct  runs.csv (one line per seed, every metric); curves.csv (recovery
//               over observation time, per seed and mean); AUC, average precision,
//               precision at degree and linkage AUC against observation time

import { flattenNumbers } from '../sweep/aggregate.js';
import type { CsvValue } from '../report/csv.js';
import type { ReportContent, ReportTable } from '../report/html.js';
import { cdfPlot, histogramPlot, metricOverTimePlot, type TimeSeries } from '../report/plots.js';
import type { ContinuousResults, PoolResults, PopulationResults, SimResults, ThresholdResults } from '../run.js';
import type { CurvePoint } from './continuous-run.js';

export type { CsvTable, PlannedPlot } from '../report/results-folder.js';
import type { CsvTable, PlannedPlot } from '../report/results-folder.js';

export interface RunReport {
  csv: CsvTable[];
  plots: PlannedPlot[];
  content: Omit<ReportContent, 'plots' | 'links'>;
}

/** Every leaf of a nested value under a dotted key (arrays of scalars kept whole). */
export function flattenParameters(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenParameters(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = value;
  return out;
}

function summaryTable(title: string, metrics: Record<string, unknown>, caption?: string): ReportTable {
  const rows = [...flattenNumbers(metrics).entries()].map(([k, v]) => [k, v]);
  return { title, columns: ['metric', 'value'], rows, ...(caption ? { caption } : {}) };
}

function roundsPlots(values: number[], what: string): PlannedPlot[] {
  if (values.length === 0) return [];
  const x = { title: 'rounds to disclosure', unit: 'rounds' };
  return [
    {
      title: `Rounds to disclosure (${what})`,
      svgFile: 'rounds-histogram.svg',
      caption: 'One count per run that disclosed.',
      spec: histogramPlot({ title: `Rounds to disclosure (${what})`, x, values }),
    },
    {
      title: 'Rounds to disclosure, CDF',
      svgFile: 'rounds-cdf.svg',
      caption: 'Share of the runs that disclosed within x rounds.',
      spec: cdfPlot({ title: 'Rounds to disclosure, CDF', x, series: [{ name: what, values }] }),
    },
  ];
}

function thresholdReport(r: ThresholdResults): RunReport {
  const disclosed = r.runs.flatMap((x) => (x.roundsToDisclosure === null ? [] : [x.roundsToDisclosure]));
  return {
    csv: [{ file: 'runs.csv', label: 'rounds to disclosure per seed (empty: not disclosed)', header: ['seed', 'roundsToDisclosure'], rows: r.runs.map((x) => [x.seed, x.roundsToDisclosure]) }],
    plots: roundsPlots(disclosed, 'threshold mix'),
    content: {
      title: `Threshold mix: N=${r.parameters.recipients}, b=${r.parameters.batch}, m=${r.parameters.friends}`,
      parameters: { model: r.model, ...r.parameters, seeds: r.seeds },
      seed: r.seed,
      tables: [summaryTable('Rounds to disclosure', r.metrics, 'Summary over the runs that disclosed; danezisBound is Danezis 2003’s estimate for l = 2 and l = 3.')],
      notes: ['Disclosure: the first round at which the m recipients with the highest SDA estimate are exactly the friends.'],
    },
  };
}

function populationReport(r: PopulationResults): RunReport {
  const series: TimeSeries[] = [{ name: `mean of ${r.seeds} seeds`, points: r.metrics.lsda.curve.map((c) => ({ t: c.rounds, value: c.mse })) }];
  return {
    csv: [{ file: 'runs.csv', label: 'LSDA error per seed and checkpoint', header: ['seed', 'rounds', 'mse'], rows: r.runs.flatMap((x) => x.curve.map((c) => [x.seed, c.rounds, c.mse])) }],
    plots: [
      {
        title: 'LSDA profile error',
        svgFile: 'lsda-error.svg',
        caption: `Log-log slope ${r.metrics.lsda.logLogSlope.toFixed(2)} (1/rounds is −1).`,
        spec: metricOverTimePlot({ title: 'LSDA profile error', x: { title: 'rounds', scale: 'log' }, y: { title: 'mean squared error', scale: 'log' }, series }),
      },
    ],
    content: {
      title: `Population: U=${r.parameters.users}, b=${r.parameters.batch}, m=${r.parameters.friends}`,
      parameters: { model: r.model, ...flattenParameters(r.parameters), seeds: r.seeds },
      seed: r.seed,
      tables: [{ title: 'LSDA profile error', columns: ['rounds', 'mse'], rows: r.metrics.lsda.curve.map((c) => [c.rounds, c.mse]) }],
    },
  };
}

function poolReport(r: PoolResults): RunReport {
  const disclosed = r.runs.flatMap((x) => (x.roundsToDisclosure === null ? [] : [x.roundsToDisclosure]));
  const p = r.parameters;
  return {
    csv: [
      {
        file: 'runs.csv',
        label: 'per seed: rounds to disclosure (empty: not disclosed), per-message anonymity and rounds in the mix',
        header: ['seed', 'roundsToDisclosure', 'entropyBits', 'effectiveSetSize', 'latencyRoundsMean', 'latencyRoundsP99'],
        rows: r.runs.map((x) => [x.seed, x.roundsToDisclosure, x.entropyBits, x.effectiveSetSize, x.latencyRounds.mean, x.latencyRounds.p99]),
      },
    ],
    plots: roundsPlots(disclosed, `${p.mix} pool mix`),
    content: {
      title: `Pool mix (${p.mix}): N=${p.recipients}, b=${p.batch}, f=${p.pool}, m=${p.friends}`,
      parameters: { model: r.model, ...p, seeds: r.seeds },
      seed: r.seed,
      tables: [summaryTable('Metrics', r.metrics, 'Rounds to disclosure over the runs that disclosed; anonymity and rounds in the mix averaged over the runs.')],
      notes: [
        'The attack is the generalised SDA (Mathewson & Dingledine 2004): each flush weighted by the expected number of target messages in it, computed from the mix’s visible counts.',
        'Anonymity: entropy of a leaving message’s sender distribution, the average over the pool (the mix picks leaving messages uniformly).',
      ],
    },
  };
}

const CURVE_METRICS: readonly CurveMetric[] = [
  ['auc', 'ROC AUC', 'AUC of the pair scores against the true edges (0.5 = chance).'],
  ['averagePrecision', 'Average precision', 'Area under the precision–recall curve (chance = the share of pairs that are edges).'],
  ['precisionAtDegree', 'Precision at degree', 'Share of true contacts among each user’s d top-scored recipients, d = the true degree.'],
  ['linkageAuc', 'Linkage AUC', 'Per recipient: AUC of which senders write to them, averaged; 0.5 for anything that knows only who receives how much.'],
];

/** A recovery metric of the curves: key, plot title, caption. */
export type CurveMetric = readonly ['auc' | 'averagePrecision' | 'precisionAtDegree' | 'linkageAuc', string, string];

function curveSeries(curve: readonly CurvePoint[], metric: CurveMetric[0]): TimeSeries[] {
  const names = curve.length ? Object.keys(curve[0].recovery) : [];
  return names
    .map((name) => ({ name, points: curve.flatMap((c) => (Number.isFinite(c.recovery[name]?.[metric]) ? [{ t: c.timeS, value: c.recovery[name][metric] }] : [])) }))
    .filter((s) => s.points.length > 0);
}

/** One plot per metric of its value over observation time, a line per attack (metrics without data are left out). */
export function recoveryCurvePlots(curve: readonly CurvePoint[], metrics: readonly CurveMetric[], captionNote: string): PlannedPlot[] {
  const plots: PlannedPlot[] = [];
  for (const [metric, title, caption] of metrics) {
    const series = curveSeries(curve, metric);
    if (series.length === 0) continue;
    plots.push({
      title,
      svgFile: `recovery-${metric}.svg`,
      caption: `${caption} ${captionNote}`,
      spec: metricOverTimePlot({ title, x: { title: 'observation time', unit: 's' }, y: { title, domain: [0, 1] }, series, seriesTitle: 'attack' }),
    });
  }
  return plots;
}

function continuousReport(r: ContinuousResults): RunReport {
  const metricKeys = [...flattenNumbers(r.runs[0].metrics).keys()];
  const runsRows = r.runs.map((run) => {
    const values = flattenNumbers(run.metrics);
    return [run.seed, ...metricKeys.map((k) => values.get(k))];
  });
  const curveRow = (seed: number | string, c: CurvePoint): CsvValue[][] =>
    Object.entries(c.recovery).map(([name, x]) => [seed, c.timeS, name, x.auc, x.averagePrecision, x.precisionAtDegree, x.linkageAuc]);
  const curveRows = [...r.runs.flatMap((run) => run.curve.flatMap((c) => curveRow(run.seed, c))), ...r.curves.recovery.flatMap((c) => curveRow('mean', c))];
  const plots = recoveryCurvePlots(r.curves.recovery, CURVE_METRICS, `Mean of ${r.seeds} seeds; popularity is a reference that links nobody.`);
  const m = r.metrics;
  const recoveryRows = Object.entries(m.recovery).map(([name, x]) => [name, x.auc, x.averagePrecision, x.precisionAtDegree, x.linkageAuc]);
  const net = r.parameters.network;
  const title =
    r.model === 'loopix' && net
      ? `Loopix: ${r.counts.users} users, ${net.layers}×${net.mixesPerLayer} mixes, μ=${net.mu}/s, λP=${net.lambdaP}, λL=${net.lambdaL}, λD=${net.lambdaD}, λM=${net.lambdaM}`
      : `Direct (central server): ${r.counts.users} users`;
  return {
    csv: [
      { file: 'runs.csv', label: 'every metric per seed', header: ['seed', ...metricKeys], rows: runsRows },
      {
        file: 'curves.csv',
        label: 'recovery over observation time, per seed and the mean',
        header: ['seed', 'timeS', 'attack', 'auc', 'averagePrecision', 'precisionAtDegree', 'linkageAuc'],
        rows: curveRows,
      },
    ],
    plots,
    content: {
      title,
      parameters: { model: r.model, ...flattenParameters(r.parameters), seeds: r.seeds },
      seed: r.seed,
      tables: [
        {
          title: 'Recovery of the social graph at the end',
          columns: ['attack', 'AUC', 'average precision', 'precision at degree', 'linkage AUC'],
          rows: recoveryRows,
          caption: `Mean of ${r.seeds} seeds. popularity scores every pair by the recipient’s observed deliveries: a reference that links nobody.`,
        },
        summaryTable(
          'Per-message anonymity',
          m.anonymity as unknown as Record<string, unknown>,
          'Entropy (bits) of each real message’s sender distribution as the observer traces it through the mixes; ε = |ln(p_true / p_best_other)|.',
        ),
        summaryTable('Latency (ms)', m.latencyMs as unknown as Record<string, unknown>, 'delivery: written → deposited in the mailbox; read: → the recipient’s next pull.'),
        summaryTable('Traffic', m.traffic as unknown as Record<string, unknown>),
        ...(m.activity
          ? [
              summaryTable(
                'When users send',
                m.activity as unknown as Record<string, unknown>,
                'ROC AUC, over users and windows, of what the observer counts (ackAuc: SURB-ACKs at a corrupt gateway; sendAuc: packets leaving the client) against whether the user wrote a message in that window; 0.5 = the count says nothing.',
              ),
            ]
          : []),
        summaryTable('Counts (mean per run)', r.counts as unknown as Record<string, unknown>),
      ],
      notes:
        r.model === 'loopix'
          ? [
              'Observer: every link (client packets all alike; packets in and out of every node), corrupt mixes’ linkage, corrupt gateways’ deposits and SURB-ACKs. See docs/simulator.md §Adversary.',
              'sda and lsda see per-window counts (ACKs for users behind a corrupt gateway, else packets sent; deposits per recipient at corrupt gateways); gsda weights every deposit by the packet’s traced sender distribution.',
            ]
          : ['The server sees every message’s sender and recipient: every attack gets each message as its own round.'],
    },
  };
}

export function buildRunReport(r: SimResults): RunReport {
  switch (r.model) {
    case 'threshold':
      return thresholdReport(r);
    case 'population':
      return populationReport(r);
    case 'pool':
      return poolReport(r);
    case 'loopix':
    case 'direct':
      return continuousReport(r);
  }
}
