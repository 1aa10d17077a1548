import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { isLockExpiry } from "../../src/jobs/queue.js";

// The messages as the installed Agenda writes them, so that a reworded message fails here rather
// than turning a routine lock expiry back into an error-level log line.
const processor = readFileSync(
  createRequire(import.meta.url)
    .resolve("agenda")
    .replace(/index\.js$/, "JobProcessor.js"),
  "utf8",
);
const cancellations = [...processor.matchAll(/new Error\(`(execution of '[^`]+ canceled[^`]*)`\)/g)].map((match) =>
  match[1]!.replace(/\$\{[^}]+\}/g, (expression) => (expression.includes("lockLifetime") ? "3000" : "kpi:calculate-batch")),
);

describe("isLockExpiry", () => {
  it("recognises both of Agenda's cancellations of a job whose lock expired", () => {
    expect(cancellations).toHaveLength(2);
    for (const message of cancellations) expect(isLockExpiry(new Error(message))).toBe(true);
  });

  it("leaves every other queue error an error", () => {
    expect(isLockExpiry(new Error("connect ECONNREFUSED 127.0.0.1:5432"))).toBe(false);
    expect(isLockExpiry(new Error("callback already called - job kpi:plan-run already marked complete"))).toBe(false);
  });
});
