import type { Viewer } from "../auth/authenticate.js";
import type { Logger } from "../lib/logger.js";
import type { Access } from "../permissions/access.js";
import type { Loaders } from "../server/loaders.js";
import type { Services } from "../services.js";

/**
 * What every resolver, rule and plugin gets, one per request (one per event of a subscription).
 * Only the type lives here, so that modules may name it; server/context.ts builds it.
 */
export interface Context {
  viewer: Viewer | null;
  /** Today's date in the organisation's time zone, fixed for the request. */
  today: string;
  /** KPI_TIMEZONE: where each period's days begin. */
  timeZone: string;
  access: Access;
  loaders: Loaders;
  services: Services;
  requestId: string;
  log: Logger;
}
