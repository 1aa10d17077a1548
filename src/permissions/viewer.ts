import type { Viewer } from "../auth/authenticate.js";
import { unauthenticated } from "../lib/errors.js";

/**
 * The signed-in viewer of a field whose rule (rules.ts) let only signed-in people through. A field
 * reached without one means a rule is missing: UNAUTHENTICATED, never a TypeError on `null`.
 */
export function viewerOf(ctx: { viewer: Viewer | null }): Viewer {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.viewer;
}
