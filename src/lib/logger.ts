import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    // Tokens and keys must never reach the logs, whatever a log call passes in.
    redact: {
      paths: ["req.headers.authorization", "req.headers.cookie", "*.token", "*.password", "*.secret"],
      censor: "[redacted]",
    },
  });
}
