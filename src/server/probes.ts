import type { Express } from "express";
import { createHash, timingSafeEqual } from "node:crypto";
import type pg from "pg";
import { unauthenticated } from "../lib/errors.js";
import { sendError } from "../lib/http-error.js";
import type { Metrics } from "../observability/metrics.js";

export interface ProbeDeps {
  pool: pg.Pool;
  metrics: Metrics;
  /** METRICS_TOKEN: the bearer token a scrape must send; none leaves /metrics open. */
  metricsToken: string | undefined;
}

/** GET /healthz (the process answers), GET /readyz (the database answers too) and GET /metrics (Prometheus). */
export function mountProbes(app: Express, deps: ProbeDeps): void {
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  app.get("/readyz", async (_req, res) => {
    try {
      await deps.pool.query("SELECT 1");
      res.json({ status: "ready" });
    } catch {
      res.status(503).json({ status: "unavailable", reason: "database unreachable" });
    }
  });

  // Prometheus scrapes. Without METRICS_TOKEN the endpoint is open: keep it off the public network.
  app.get("/metrics", async (req, res) => {
    const token = deps.metricsToken;
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      res.set("www-authenticate", 'Bearer realm="metrics"');
      return sendError(res, unauthenticated("A scrape must send METRICS_TOKEN as a bearer token"));
    }
    const { contentType, body } = await deps.metrics.render();
    res.set("cache-control", "no-store").type(contentType).send(body);
  });
}

/** Whether an Authorization header is "Bearer <token>", compared in constant time. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1] ?? "";
  // Digests have one length whatever was sent, so neither the comparison nor its length check leaks the token.
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(token));
}
