/**
 * A formula refused at save time. `index` is the 0-based UTF-16 position in the formula text of the
 * offending token, so an editor can put the cursor on it; `description` is the message without the
 * position, for callers that render the position themselves. Kept apart from AppError on purpose:
 * this module is pure, and the service decides how a refusal becomes BAD_USER_INPUT.
 */
export class FormulaError extends Error {
  constructor(
    readonly description: string,
    readonly index: number,
  ) {
    super(`${description} at position ${index}`);
    this.name = "FormulaError";
  }
}
