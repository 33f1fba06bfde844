/**
 * Every property test runs the same cases on every run unless asked otherwise: a CI run must
 * not fail on a seed nobody chose. `FC_SEED=N` runs seed N, `FC_SEED=random` explores (fast-check
 * prints the seed of any failure, to replay with FC_SEED). Tests that pass their own seed keep it.
 */
import fc from "fast-check";

const DEFAULT_SEED = 20261127;
const chosen = process.env.FC_SEED;
if (chosen !== "random") {
  const seed = chosen === undefined ? DEFAULT_SEED : Number(chosen);
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer or 'random', not '${chosen}'`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
