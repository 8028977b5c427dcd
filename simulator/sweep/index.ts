// Parameter sweeps for `chaff sim sweep` (docs/simulator.md): parse --vary,
// expand the plan into jobs, run them on a worker-thread pool, aggregate and
// write sweep.json, sweep.csv, jobs.csv, plots and index.html.

export { aggregate, flattenNumbers, metricStats, type Aggregation, type CombinationAggregate, type MetricStats } from './aggregate.js';
export { combinations, describeParams, expandJobs, getKey, setKey, MAX_JOBS, SweepPlanError, type ConfigTable, type SweepJob, type SweepPlan } from './jobs.js';
export { errorInfo, type JobErrorInfo, type JobModule } from './messages.js';
export { fileSlug, metricPoints, varyingMetrics, writeSweep, type ErrorBars, type SweepOutputOptions } from './output.js';
export { defaultPoolSize, runPool, MAX_POOL_SIZE, SweepPoolError, type JobOutcome, type PoolOptions } from './pool.js';
export { estimateRemainingMs, formatDuration, formatProgress, ProgressReporter, type ProgressState, type ProgressStream } from './progress.js';
export { runSweep, type SweepFailure, type SweepJobRecord, type SweepOptions, type SweepResult } from './sweep.js';
export { formatVaryValue, parseVary, parseVaryOption, parseVaryValue, VaryError, type VaryAxis, type VaryScalar, type VaryValue } from './vary.js';
export { loadSimSweepBase, SIM_JOB_MODULE, SIM_SWEEP_HOOKS, SIM_UNITS } from './sim-adapter.js';
