import express, { type Request, type Response, type Router } from "express";
import type { Writable } from "node:stream";
import type { Authenticator } from "../auth/authenticate.js";
import type { Db } from "../db/client.js";
import { AppError, unauthenticated } from "../lib/errors.js";
import { HttpError, sendError } from "../lib/http-error.js";
import { isDatabaseUnavailable } from "../lib/unavailable.js";
import type { ExportRecorder, Metrics } from "../observability/metrics.js";
import { Access } from "../permissions/access.js";
import { writeCsv } from "./csv-export.js";
import { TEAM_EXPORT_COLUMNS, USER_EXPORT_COLUMNS, type ExportColumn, type ExportRow } from "./export-columns.js";
import { parseExportRange, type ExportRange } from "./export-range.js";
import { teamExportSubject, userExportSubject, type ExportSubject } from "./export-subject.js";
import { measurementPages } from "./measurement-pages.js";
import { writeXlsx } from "./xlsx-export.js";

export interface ExportRoutesDeps {
  db: Db;
  authenticator: Authenticator;
  /** Today in the organisation's time zone: the default range ends with it. */
  today: () => string;
  metrics: Metrics;
  limits: { maxConcurrent: number; idleTimeoutMs: number };
}

type Format = "csv" | "xlsx";

interface FormatWriter {
  contentType: string;
  write(pages: AsyncIterable<ExportRow[]>, columns: readonly ExportColumn[], out: Writable): Promise<void>;
}

const WRITERS: Record<Format, FormatWriter> = {
  csv: { contentType: "text/csv; charset=utf-8", write: writeCsv },
  xlsx: { contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", write: writeXlsx },
};

const FILE_PATTERN = /^([^.]*)\.(csv|xlsx)$/;

/** An export refused before its first byte: the one error answer of REST routes, never cached. */
function fail(res: Response, error: unknown): void {
  if (error instanceof AppError && error.code === "UNAUTHENTICATED") res.set("www-authenticate", 'Bearer realm="exports"');
  res.set("cache-control", "no-store");
  sendError(res, error);
}

/** Counts the rows as they are read, for the metrics. */
async function* counted(pages: AsyncIterable<ExportRow[]>, recorder: ExportRecorder): AsyncGenerator<ExportRow[]> {
  for await (const page of pages) {
    recorder.addRows(page.length);
    yield page;
  }
}

async function* withTeam(pages: AsyncIterable<ExportRow[]>, team: { id: number; name: string }): AsyncGenerator<ExportRow[]> {
  for await (const page of pages) yield page.map((row) => ({ team_id: team.id, team_name: team.name, ...row }));
}

function fileName(subject: ExportSubject, range: ExportRange, format: Format): string {
  const who = subject.kind === "team" ? `team-${subject.team.id}` : `user-${subject.userId}`;
  return `kpi-measurements-${who}-${range.from}-to-${range.to}.${format}`;
}

/**
 * Streams the subject's rows in `format`, counting them; a failure after the first byte cuts the
 * connection, so a client never mistakes a partial file for a whole one.
 */
async function streamExport(
  req: Request,
  res: Response,
  deps: ExportRoutesDeps,
  download: { subject: ExportSubject; range: ExportRange; format: Format },
): Promise<void> {
  const { subject, range, format } = download;
  const recorder = deps.metrics.startExport(format);
  // A client that takes nothing for this long (its socket idle while we wait to write) is cut: the
  // pipeline ends as if it had left, and the download's slot is free again.
  res.setTimeout(deps.limits.idleTimeoutMs, () => res.destroy());
  const rows = measurementPages(deps.db.$client, { userIds: subject.userIds, ...range });
  const pages = counted(subject.kind === "team" ? withTeam(rows, subject.team) : rows, recorder);
  try {
    await WRITERS[format].write(pages, subject.kind === "team" ? TEAM_EXPORT_COLUMNS : USER_EXPORT_COLUMNS, res);
    recorder.end("completed");
  } catch (error) {
    // The client went away (pipeline's premature close): nothing to answer, nothing to log.
    if ((error as { code?: string }).code === "ERR_STREAM_PREMATURE_CLOSE") return recorder.end("aborted");
    recorder.end("failed");
    if (res.headersSent) {
      // An outage is logged once per request by pino-http (a 503), without this line's stack.
      if (!isDatabaseUnavailable(error)) req.log.error({ err: error }, "export failed");
      return void res.destroy();
    }
    res.removeHeader("content-disposition");
    sendError(res, error, { logAs: "export failed" });
  } finally {
    // The socket may serve the client's next request (keep-alive): it gets its usual timeouts back.
    req.socket.setTimeout(0);
  }
}

/**
 * GET /exports/teams/:id.csv|.xlsx and GET /exports/users/:id.csv|.xlsx?from=&to=: the measurements a
 * viewer may see through GraphQL (export-subject.ts), streamed. Checks, in order: credentials (401),
 * the range (400), the right to the team or user (403, the same for unknown ids), then, for admins
 * only, a malformed (400) or unknown (404) id. Errors are JSON like the GraphQL endpoint's.
 */
export function exportRoutes(deps: ExportRoutesDeps): Router {
  const router = express.Router();
  let streaming = 0;
  router.get("/exports/:scope/:file", async (req: Request, res: Response, next) => {
    const { scope, file } = req.params as { scope: string; file: string };
    const match = FILE_PATTERN.exec(file);
    if ((scope !== "teams" && scope !== "users") || !match) return next();
    const [, rawId, format] = match as unknown as [string, string, Format];

    let subject: ExportSubject;
    let range: ExportRange;
    try {
      const viewer = await deps.authenticator.fromAuthorizationHeader(req.headers.authorization);
      if (!viewer) throw unauthenticated();
      range = parseExportRange(req.query as Record<string, unknown>, deps.today());
      const access = new Access(deps.db, viewer);
      subject =
        scope === "teams" ? await teamExportSubject(deps.db, access, rawId) : await userExportSubject(deps.db, access, rawId);
    } catch (error) {
      return fail(res, error);
    }

    res.set({
      "content-type": WRITERS[format].contentType,
      "content-disposition": `attachment; filename="${fileName(subject, range, format)}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    // Express answers HEAD with the GET route; the headers say all a HEAD asks, and no rows are read.
    if (req.method === "HEAD") return res.end();
    if (streaming >= deps.limits.maxConcurrent) {
      res.removeHeader("content-disposition");
      res.set("retry-after", "10");
      return sendError(
        res,
        new HttpError(
          "TOO_MANY_REQUESTS",
          `${streaming} exports are running, the most this server streams at once (EXPORTS_MAX_CONCURRENT); retry shortly`,
        ),
      );
    }
    streaming++;
    try {
      await streamExport(req, res, deps, { subject, range, format });
    } finally {
      streaming--;
    }
  });
  return router;
}
