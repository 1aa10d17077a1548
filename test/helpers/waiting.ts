import { expect } from "vitest";
import type { TestServer } from "./server.js";

/** Polls `check` until it gives a value (not undefined, null or false), or fails naming `what`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The run, read with `query` (which takes `$id`), once it has left QUEUED and RUNNING. */
export function finishedRun(server: TestServer, query: string, id: string, token: string | null) {
  return until(`run ${id} to finish`, async () => {
    const res = await server.gql(query, { id }, token);
    expect(res.errors).toBeUndefined();
    const run = res.data!.calculationRun;
    return ["QUEUED", "RUNNING"].includes(run.status) ? undefined : run;
  });
}
