import { FUNCTIONS } from "./functions.js";

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Words jsep reads as something other than a variable. */
const RESERVED = new Set(["true", "false", "null", "this"]);

/**
 * Whether `name` can be declared as a formula input. jsep would also accept `$` and non-ASCII
 * letters; inputs keep to ASCII identifiers so that they read the same everywhere. Function names
 * are refused too: `max` as a variable would work (calls and variables do not clash) but confuses.
 */
export function isValidVariableName(name: string): boolean {
  return VARIABLE_NAME.test(name) && !RESERVED.has(name) && !FUNCTIONS.has(name);
}
