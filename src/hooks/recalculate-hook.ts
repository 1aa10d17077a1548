import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { Db } from "../db/client.js";
import { AppError, unauthenticated } from "../lib/errors.js";
import { sendError } from "../lib/http-error.js";
import type { RunService } from "../modules/run/run.service.js";
import { resolveHookUsers } from "./hook-users.js";
import { parseHookBody } from "./recalculate-request.js";
import { signatureMatches } from "../lib/signature.js";

export interface RecalculateHookDeps {
  /** WEBHOOK_SECRET; without it the endpoint answers 404. */
  secret: string | undefined;
  db: Db;
  runs: RunService;
  today: () => string;
}

/** Bodies are small JSON documents; a larger one is not a webhook of ours. */
const BODY_LIMIT = "64kb";

/**
 * POST /hooks/recalculate: systems such as Intercom call it when something changed (a conversation
 * closed), and the users it names get a background recalculation of today's period (or of
 * `periodContaining`'s). The body is signed with WEBHOOK_SECRET (see signature.ts); the answer is
 * 202 with the run's id, or 200 when the request names nobody we know (a caller retrying that
 * would never succeed).
 */
export function recalculateHook(deps: RecalculateHookDeps): Router {
  const router = express.Router();
  router.post("/hooks/recalculate", express.raw({ type: () => true, limit: BODY_LIMIT }), async (req: Request, res: Response) => {
    const { secret } = deps;
    if (secret === undefined) {
      return sendError(res, new AppError("NOT_FOUND", "Webhooks are off: set WEBHOOK_SECRET to turn them on"));
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!signatureMatches(body, req.headers, secret)) {
      return sendError(res, unauthenticated("Missing or wrong signature (X-Hub-Signature-256: sha256=<HMAC of the body>)"));
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      return sendError(res, new AppError("BAD_USER_INPUT", "The body is not JSON"));
    }
    const parsed = parseHookBody(json);
    if (parsed.kind === "invalid") return sendError(res, new AppError("BAD_USER_INPUT", parsed.message));
    if (parsed.kind === "ignored") return res.status(200).json({ status: "ignored", reason: parsed.reason });

    const { request } = parsed;
    const today = deps.today();
    if (request.periodContaining !== undefined && request.periodContaining > today) {
      return sendError(res, new AppError("BAD_USER_INPUT", "periodContaining must be today or earlier"));
    }
    // An unknown definition is NOT_FOUND (404), a MANUAL one BAD_USER_INPUT (400): the handler below answers.
    if (request.kpiDefinitionId !== undefined) await deps.runs.calculableDefinition(request.kpiDefinitionId);
    const users = await resolveHookUsers(deps.db.$client, request);
    if (users.userIds.length === 0) {
      return res
        .status(200)
        .json({ status: "ignored", reason: "the request names no known active user", unmatched: users.unmatched });
    }
    const run = await deps.runs.queue({
      trigger: "webhook",
      selection: {
        userIds: users.userIds,
        ...(request.kpiDefinitionId !== undefined && { kpiDefinitionId: request.kpiDefinitionId }),
      },
      periodContaining: request.periodContaining ?? today,
      today,
      requestedBy: null,
    });
    req.log.info({ runId: run.id, users: users.userIds.length }, "webhook queued a recalculation");
    res.status(202).json({ status: "queued", runId: String(run.id), users: users.userIds.length, unmatched: users.unmatched });
  });
  // Every error of the hook, before the app's handler, whose message for a large body names the GraphQL limit.
  router.use("/hooks", (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendError(res, error, { tooLarge: `The body is larger than ${BODY_LIMIT}` });
  });
  return router;
}
