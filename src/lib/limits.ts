import { badInput } from "./errors.js";

/** Validates a `limit` argument: 1..max, else BAD_USER_INPUT naming the bound. */
export function boundedLimit(limit: number, max: number, field = "limit"): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw badInput(field, `must be between 1 and ${max}`);
  return limit;
}
