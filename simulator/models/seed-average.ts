// Averaging one run's results over seeds: every numeric leaf of the
// records (same shape) becomes the mean of its finite values across the
// records, NaN when none is finite (an undefined metric, e.g. ε when every
// message had no other candidate). Non-numeric leaves are taken from the
// first record.

export function meanOfRecords<T>(records: readonly T[]): T {
  if (records.length === 0) throw new RangeError('meanOfRecords: no records to average');
  return average(records as readonly unknown[]) as T;
}

function average(values: readonly unknown[]): unknown {
  const first = values[0];
  if (typeof first === 'number') {
    let sum = 0;
    let n = 0;
    for (const v of values) {
      if (typeof v === 'number' && Number.isFinite(v)) {
        sum += v;
        n++;
      }
    }
    return n ? sum / n : Number.NaN;
  }
  if (Array.isArray(first)) return first.map((_, i) => average(values.map((v) => (v as unknown[])[i])));
  if (typeof first === 'object' && first !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) out[key] = average(values.map((v) => (v as Record<string, unknown>)[key]));
    return out;
  }
  return first;
}
