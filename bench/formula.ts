/**
 * Formula evaluation benchmark: compiles a few formulas once and evaluates each over a rotating set
 * of inputs, printing evaluations per second (the requirement is over 1,000,000/s for the product
 * design's example). A hand-written function gives the ceiling. `npx tsx bench/formula.ts`;
 * BENCH_SECONDS sets the time per formula (default 1).
 */
import { compileFormula, type FormulaInputs } from "../src/engine/formula/index.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const INPUT_SETS = 1024;

interface Case {
  name: string;
  formula: string;
  variables: string[];
}

const CASES: Case[] = [
  { name: "example", formula: "(positive_ratings / total_ratings) * 100", variables: ["positive_ratings", "total_ratings"] },
  { name: "guarded", formula: "if(total > 0, good / total * 100, 0)", variables: ["good", "total"] },
  { name: "rounded", formula: "round(good / total * 100, 1)", variables: ["good", "total"] },
  { name: "null-safe", formula: "coalesce(a, 0) + max(b, c) * 2 - abs(d) / 3", variables: ["a", "b", "c", "d"] },
  { name: "mixed", formula: "sum(a, b, c, d) / 4 >= 10 && a > 0 ? sqrt(a * b) : -1", variables: ["a", "b", "c", "d"] },
];

/** Inputs for one case: varied values, some nulls where the formula handles them, one object shape. */
function inputsFor(variables: string[]): FormulaInputs[] {
  return Array.from({ length: INPUT_SETS }, (_, i) =>
    Object.fromEntries(variables.map((name, j) => [name, name === "a" && i % 7 === 0 ? null : ((i * 31 + j * 17) % 97) + 1])),
  );
}

/** Runs `evaluate` in batches until SECONDS have passed; returns evaluations per second. */
function measure(evaluate: (values: FormulaInputs) => number, inputs: FormulaInputs[]): number {
  let sink = 0;
  const batch = 100_000;
  // Warm-up, so that the JIT has optimised the closures before timing starts.
  for (let i = 0; i < batch * 5; i++) sink += evaluate(inputs[i & (INPUT_SETS - 1)]!);
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) sink += evaluate(inputs[i & (INPUT_SETS - 1)]!);
    count += batch;
    now = process.hrtime.bigint();
  }
  if (Number.isNaN(sink)) console.log("(sink)"); // keeps the results alive
  return count / (Number(now - start) / 1e9);
}

function format(perSecond: number): string {
  return `${(perSecond / 1e6).toFixed(1).padStart(6)} M/s`;
}

console.log(`node ${process.version}, ${SECONDS}s per formula, ${INPUT_SETS} input sets\n`);

const exampleInputs = inputsFor(CASES[0]!.variables);
const handWritten = (values: FormulaInputs) => {
  const p = values.positive_ratings;
  const t = values.total_ratings;
  return p == null || t == null || t === 0 ? 0 : (p / t) * 100;
};
console.log(`${"hand-written JS (ceiling)".padEnd(28)} ${format(measure(handWritten, exampleInputs))}`);

for (const { name, formula, variables } of CASES) {
  const compiled = compileFormula(formula, variables);
  const inputs = inputsFor(variables);
  const perSecond = measure((values) => {
    const result = compiled.evaluate(values);
    return result.kind === "value" ? result.value : 0;
  }, inputs);
  console.log(`${name.padEnd(28)} ${format(perSecond)}   ${formula}`);
}

// Compiling happens once per save, but should not be slow either.
const compileStart = process.hrtime.bigint();
const compiles = 20_000;
for (let i = 0; i < compiles; i++) compileFormula(CASES[0]!.formula, CASES[0]!.variables);
const compileSeconds = Number(process.hrtime.bigint() - compileStart) / 1e9;
console.log(`\ncompileFormula (example)     ${Math.round(compiles / compileSeconds).toLocaleString("en")} /s`);
