import { pino, type DestinationStream, type Logger } from "pino";
import { errorForLog } from "./log-serializers.js";

export type { Logger };

/** The process's logger: JSON lines on stdout, or on `destination` (tests read what was logged). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      // Tokens and keys must never reach the logs, whatever a log call passes in.
      redact: {
        paths: ["req.headers.authorization", "req.headers.cookie", "*.token", "*.password", "*.secret"],
        censor: "[redacted]",
      },
      // A failed statement is logged by its shape and code, never with the values people typed.
      serializers: { err: errorForLog },
    },
    destination,
  );
}
