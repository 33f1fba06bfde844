/**
 * Will a precopy migration reach its switchover? The model behind the verdict (reasoning in
 * docs/progress.md): QEMU switches over once the bytes still dirty after a bitmap sync fit in
 * the downtime limit at the current bandwidth (threshold = bandwidth × downtime-limit). A pass
 * that sends R bytes takes R / bandwidth seconds, during which the guest dirties
 * dirty-rate × R / bandwidth bytes, so each pass leaves q = dirty-rate / bandwidth of the one
 * before. The copy converges when q^n · R falls under the threshold within a few passes.
 */

export type Convergence = "unknown" | "converging" | "not-converging" | "stalled";

/** What one bitmap sync told us: the bytes left to send and the rate the guest dirties at. */
export interface PassSample {
  /** Bytes remaining right after the sync. */
  remaining: number;
  /** Bytes per second the guest dirtied since the previous sync. */
  dirtyRate: number;
  /** Bytes per second the migration sent at that time. */
  bandwidth: number;
}

export interface ConvergenceLimits {
  /** More passes than this to reach the threshold → not converging. Default 12. */
  maxPasses?: number;
  /** Once not converging, it takes at most this many projected passes to be converging again. Default 6. */
  recoverPasses?: number;
}

export interface Judgement {
  convergence: Convergence;
  /** Passes still needed before the switchover; Infinity when the copy cannot shrink. */
  passesLeft: number;
  /** The median per-pass ratio q = dirty-rate / bandwidth over the last passes. */
  ratio: number;
}

/** The median of the last three values: one odd pass (a burst, a slow poll) cannot swing it. */
export function recentMedian(values: readonly number[]): number {
  const last = [...values.slice(-3)].sort((a, b) => a - b);
  if (last.length === 0) return Number.NaN;
  const middle = Math.floor(last.length / 2);
  return last.length % 2 === 1
    ? (last[middle] as number)
    : ((last[middle - 1] as number) + (last[middle] as number)) / 2;
}

/** Passes needed for remaining · q^n to fall to `threshold`. */
export function passesToSwitchover(remaining: number, threshold: number, ratio: number): number {
  if (remaining <= threshold) return 0;
  if (ratio >= 1) return Number.POSITIVE_INFINITY;
  if (ratio <= 0) return 1;
  return Math.ceil(Math.log(threshold / remaining) / Math.log(ratio));
}

/**
 * The verdict after the latest pass, with hysteresis: leaving not-converging needs a clearly
 * shorter projection than entering it, so noise near the boundary cannot make it flicker.
 */
export function judge(
  previous: Convergence,
  passes: readonly PassSample[],
  downtimeLimitMs: number,
  limits: ConvergenceLimits = {},
): Judgement {
  const last = passes[passes.length - 1];
  if (last === undefined || last.bandwidth <= 0)
    return { convergence: "unknown", passesLeft: Number.NaN, ratio: Number.NaN };
  const ratio = recentMedian(passes.filter((p) => p.bandwidth > 0).map((p) => p.dirtyRate / p.bandwidth));
  const threshold = last.bandwidth * (downtimeLimitMs / 1000);
  const passesLeft = passesToSwitchover(last.remaining, threshold, ratio);
  const limit = previous === "not-converging" ? (limits.recoverPasses ?? 6) : (limits.maxPasses ?? 12);
  return { convergence: passesLeft <= limit ? "converging" : "not-converging", passesLeft, ratio };
}

/**
 * Bytes still to send before the switchover when converging: what is left of this pass plus what
 * the guest dirties during the coming passes (a geometric series), at `bandwidth` bytes/s.
 */
export function expectedRemainingMs(
  remainingNow: number,
  lastSyncRemaining: number,
  judgement: Judgement,
  bandwidth: number,
): number | undefined {
  if (judgement.convergence !== "converging" || bandwidth <= 0) return undefined;
  const { ratio, passesLeft } = judgement;
  const future =
    Number.isFinite(ratio) && ratio > 0 && ratio < 1
      ? (lastSyncRemaining * ratio * (1 - ratio ** passesLeft)) / (1 - ratio)
      : 0;
  return Math.round(((remainingNow + future) / bandwidth) * 1000);
}
