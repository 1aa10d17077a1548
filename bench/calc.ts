/**
 * Calculation benchmark: builds the calculation dataset (bench/calc-dataset.ts) in a throw-away
 * database (kpi_bench_calc), calculates one monthly period for 10,000 users × 5 KPIs (3 QUERY, 2
 * FORMULA over database inputs) through the real Calculator and QueryRunner (kpi_source tables,
 * queries as kpi_source_reader as in production), writes each chunk with one upsertMeasurements
 * call, then times formula evaluation alone.
 * `npm run bench:calc`; settings: BENCH_DATABASE_URL, BENCH_CONCURRENCY (default 8), BENCH_CHUNK
 * (default 1000), BENCH_KEEP=1 (keeps the database).
 */
import os from "node:os";
import { dropDatabase, SERVER_URL } from "./bench-database.js";
import { buildCalcDataset, calculateWithEngine, formatOutcomes, seconds as s, TIME_ZONE } from "./calc-dataset.js";
import { compileFormula, type FormulaInputs } from "../src/engine/formula/index.js";
import { latestCompletedPeriod, todayIn, type Period } from "../src/scoring/periods.js";

const DB_NAME = "kpi_bench_calc";
const KEEP = process.env.BENCH_KEEP === "1";
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const CHUNK = Number(process.env.BENCH_CHUNK ?? 1000);
const FORMULA_SECONDS = 1;

async function benchCalculations(period: Period): Promise<void> {
  const run = await calculateWithEngine(DB_NAME, period, { concurrency: CONCURRENCY, chunk: CHUNK });
  console.log(
    `\ncalculations: ${run.calculations} for ${period.start}..${period.end}, concurrency ${CONCURRENCY}, chunks of ${CHUNK}, pool ${CONCURRENCY + 1}`,
  );
  console.log(`wall time: ${s(run.wallMs)} s`);
  console.log(`calculations/s: ${Math.round(run.calculations / (run.wallMs / 1000))}`);
  console.log(`outcomes: ${formatOutcomes(run.counts)}; measurements stored: ${run.stored}`);
}

/** compileFormula(...).evaluate in a tight loop over rotating inputs (no I/O): evaluations per second. */
function benchFormula(): number {
  const compiled = compileFormula("positive / total * 100", ["positive", "total"]);
  const inputs: FormulaInputs[] = Array.from({ length: 1024 }, (_, i) => ({ positive: i % 10, total: i % 13 }));
  let sink = 0;
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const result = compiled.evaluate(inputs[i & 1023]!);
      if (result.kind === "value") sink += result.value;
    }
  };
  run(500_000); // warm-up, so the JIT has optimised the closures before timing
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < FORMULA_SECONDS * 1000) {
    run(100_000);
    count += 100_000;
  }
  const rate = count / ((performance.now() - started) / 1000);
  if (sink === -1) console.log(sink); // keeps the loop from being optimised away
  return rate;
}

async function bench(): Promise<void> {
  const period = latestCompletedPeriod("monthly", todayIn(TIME_ZONE));
  try {
    await buildCalcDataset(DB_NAME, period);
    await benchCalculations(period);
    const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
    console.log(
      `peak RSS (maxRSS): ${mb(process.resourceUsage().maxRSS * 1024)} MB; RSS now ${mb(process.memoryUsage().rss)} MB`,
    );
    console.log(`formula evaluation: ${Math.round(benchFormula()).toLocaleString("en")} evaluations/s`);
    console.log(`host: ${os.cpus().length} CPUs, PostgreSQL on ${new URL(SERVER_URL).host} (shared with this process)`);
    console.log("goal: 50,000 calculations in < 8 s (> 6,000/s) and formula evaluation > 1,000,000/s on 2 cores");
  } finally {
    if (!KEEP) await dropDatabase(DB_NAME).catch(console.error);
  }
}

await bench();
