/** Order statistics shared by the benchmarks: nearest-rank quantiles over all samples. */

export const sortedCopy = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

export function quantile(values: readonly number[], q: number): number {
  const sorted = sortedCopy(values);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** Rounds to `digits` decimals (ratios want 2-3, microseconds 0-1). */
export function round(value: number, digits = 0): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Microseconds between two hrtime.bigint() readings. */
export const micros = (from: bigint, to: bigint): number => Number(to - from) / 1000;
