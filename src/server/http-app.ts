import express, { type Express } from "express";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { pinoHttp } from "pino-http";
import type { Config } from "../config/config.js";
import { crossOriginAccess } from "../lib/cors.js";
import type { Logger } from "../lib/logger.js";
import { errorForLog } from "../lib/log-serializers.js";

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * The Express app and its HTTP server, with what every route shares: the proxy setting, CORS on
 * the API's paths, and a log line per request under an x-request-id. Routes are mounted on it next.
 */
export function createHttpApp(config: Config, log: Logger): { app: Express; httpServer: Server } {
  const app = express();
  const httpServer = createServer(app);
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy);
  const cors = crossOriginAccess(config.corsOrigins);
  if (cors) app.use(["/graphql", "/exports"], cors);
  app.use(requestLogger(log));
  return { app, httpServer };
}

function requestLogger(log: Logger) {
  return pinoHttp({
    logger: log,
    // pino-http replaces the logger's serializers with its own for req.log: the same error hygiene here.
    serializers: { err: errorForLog },
    genReqId(req, res) {
      const given = req.headers["x-request-id"];
      const id = typeof given === "string" && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
      res.setHeader("x-request-id", id);
      return id;
    },
    // A 503 (the database unavailable) is one warning line, without the made-up error pino-http
    // attaches to every 5xx ("failed with status code 503") and its stack.
    customLogLevel: (_req, res, error) => (res.statusCode === 503 && !error ? "warn" : "info"),
    customErrorObject: (_req, res, _error, value) => (res.statusCode === 503 ? { ...value, err: undefined } : value),
    customErrorMessage: (_req, res) => (res.statusCode === 503 ? "database unavailable: answered 503" : "request errored"),
    // Probes and scrapes come every few seconds; a line for each would bury the requests that matter.
    autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" || req.url === "/metrics" },
  });
}
