// The job module that runs one simulator configuration in a sweep worker:
// validate the job's configuration as `chaff sim run` does, run it, and hand
// back its `metrics` (the per-run lists in `runs` would only add noise to the
// aggregation; the sweep's jobs.csv keeps one row per job anyway).

import { simConfigFromObject } from '../config.js';
import { runSimulation } from '../run.js';
import type { SweepJob } from './jobs.js';

export function runJob(job: SweepJob): unknown {
  return runSimulation(simConfigFromObject(job.config)).metrics;
}
