import { UsageError } from "./exit-codes.ts";

/** A flag holding milliseconds: a positive whole number, else a usage error naming the flag. */
export function positiveMs(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new UsageError(`${flag} needs a positive whole number of milliseconds, not '${text}'`);
  return value;
}
