import { setFlagsFromString } from "node:v8";

/**
 * How far V8 lets the heap grow past what the last full collection kept before it collects again:
 * 50 %. Left to itself V8 picks a factor of up to 4 for a heap this small, so under a steady load of
 * dashboards, whose garbage outlives the young generation while ten requests are in flight, the
 * server's RSS climbed to 250-310 MB on PostgreSQL before each collection brought it back. At 50 % it
 * stays at 180-190 MB with the same CPU per request (bench:read's team dashboard, uncached, in
 * alternating runs). It is V8's --heap-growing-percent; a process started with that flag keeps its own.
 */
export const HEAP_GROWING_PERCENT = 50;

/** Sets it for the process (V8's flags are per process, its threads included) unless the command line did. */
export function limitHeapGrowth(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((arg) => arg.includes("heap-growing-percent"));
  if (!given) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
