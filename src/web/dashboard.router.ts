import compression from "compression";
import express, { Router, type Request, type Response } from "express";
import helmet from "helmet";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built web client, web/dist at the package root (from src/web/ under tsx, dist/web/ compiled). */
export function findDashboardDir(): string | undefined {
  const dir = fileURLToPath(new URL("../../web/dist", import.meta.url));
  return existsSync(join(dir, "index.html")) ? dir : undefined;
}

/** Paths the API answers, and missing assets: the dashboard's fallback page never shadows them. */
const NOT_PAGES = /^\/(graphql|exports|hooks|healthz|readyz|metrics|assets)(\/|$)/;

/**
 * Serves the web dashboard (a client of the public GraphQL API like any other) at `/`: its hashed
 * assets for a year, and index.html for every other page path so that deep links work.
 */
export function dashboardRoutes(options: { dir: string | undefined; oidcIssuer?: string }): Router {
  const router = Router();
  const connectSources = ["'self'", ...(options.oidcIssuer ? [new URL(options.oidcIssuer).origin] : [])];
  router.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          // No inline script, no eval: what a user typed can never run as script.
          scriptSrc: ["'self'"],
          // Dialogs lock page scroll with an injected <style> element; styles cannot run code.
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", "data:"],
          fontSrc: ["'self'"],
          // The identity provider's token endpoint is called from the page (PKCE code exchange).
          connectSrc: connectSources,
          formAction: ["'self'", ...connectSources.slice(1)],
          frameAncestors: ["'none'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
        },
      },
      // The provider's discovery document and keys are fetched cross-origin.
      crossOriginEmbedderPolicy: false,
    }),
  );
  if (!options.dir) {
    router.get("/", (_req, res) => {
      res
        .status(503)
        .type("text/plain")
        .send("The web dashboard is not built. Run `npm run build:web` (npm install runs it), then restart.");
    });
    return router;
  }
  const dir = options.dir;
  // The client's budget is counted gzipped (README): what a browser downloads. API responses are left as they are.
  router.use(compression());
  // File names carry a content hash: a changed file is a new name.
  router.use("/assets", express.static(join(dir, "assets"), { immutable: true, maxAge: "365d", index: false }));
  router.use(express.static(dir, { index: false, maxAge: "1h" }));
  router.get(/.*/, (req: Request, res: Response, next) => {
    // Browsers ask for HTML first; API clients (JSON, or */* alone) get the API's 404 instead.
    if (NOT_PAGES.test(req.path) || req.accepts(["json", "html"]) !== "html") return next();
    res.set("cache-control", "no-cache").sendFile(join(dir, "index.html"));
  });
  return router;
}
