/**
 * The soak's bookkeeping: latencies, errors and deliberate 429s per operation kind and minute, the
 * per-minute table row, and the verdict against the pass line of issue 12.
 */
import type { ServerSample } from "./soak-server.js";

export const KINDS = ["dash member", "dash manager", "dash admin", "entry", "bulk", "export", "run"] as const;
export type Kind = (typeof KINDS)[number];
/** The dashboards of all roles, judged together: enough requests a minute for a p99 worth comparing. */
export const DASHBOARDS: readonly Kind[] = ["dash member", "dash manager", "dash admin"];
/** A kind's p99 is judged only with at least this many requests in each compared minute; below, it is its max. */
export const MIN_JUDGED_SAMPLES = 150;
export const RSS_GROWTH_LIMIT = 0.1;
export const P99_GROWTH_LIMIT = 0.2;

export interface KindMinute {
  latencies: number[];
  errors: number;
  /** 429s: deliberate refusals (EXPORTS_MAX_CONCURRENT), not errors. */
  limited: number;
  /** Ticks skipped because the kind's concurrency was used up: the server fell behind the rate. */
  behind: number;
  cacheHits: number;
}

export class Minute {
  readonly kinds = new Map<Kind, KindMinute>(KINDS.map((kind) => [kind, emptyKind()]));
  server?: ServerSample;

  get(kind: Kind): KindMinute {
    return this.kinds.get(kind)!;
  }

  /** Several kinds as one (the dashboards of all roles). */
  merged(kinds: readonly Kind[]): KindMinute {
    const all = emptyKind();
    for (const kind of kinds) {
      const one = this.get(kind);
      all.latencies.push(...one.latencies);
      all.errors += one.errors;
      all.limited += one.limited;
      all.behind += one.behind;
      all.cacheHits += one.cacheHits;
    }
    return all;
  }
}

function emptyKind(): KindMinute {
  return { latencies: [], errors: 0, limited: 0, behind: 0, cacheHits: 0 };
}

/** Nearest-rank percentile of `values` (NaN when empty). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (ms: number) => (Number.isNaN(ms) ? "-" : ms >= 100 ? String(Math.round(ms)) : ms.toFixed(1));

/** Columns of the per-minute row: a kind's requests, p50 and p99 (ms); errors, 429s and "behind" are totals. */
const COLUMNS: [string, number][] = [
  ["min", 3],
  ["dash n", 6],
  ["p50", 5],
  ["p99", 5],
  ["hit%", 4],
  ["entry n", 7],
  ["p50", 5],
  ["p99", 5],
  ["bulk n", 6],
  ["p50", 5],
  ["p99", 5],
  ["exp n", 5],
  ["p50", 5],
  ["p99", 5],
  ["run s", 5],
  ["err", 3],
  ["429", 3],
  ["behind", 6],
  ["rss MB", 6],
  ["after gc", 8],
  ["heap used/total", 15],
  ["ext", 4],
  ["lag p99/max", 11],
  ["pool wait max/mean", 18],
  ["ws", 4],
];

export function tableHeader(): string {
  return COLUMNS.map(([name, width]) => name.padStart(width)).join(" ");
}

export function tableRow(index: number, minute: Minute): string {
  const dash = minute.merged(DASHBOARDS);
  const cells: string[] = [String(index)];
  const kind = (one: KindMinute) => [
    String(one.latencies.length),
    round(percentile(one.latencies, 50)),
    round(percentile(one.latencies, 99)),
  ];
  cells.push(...kind(dash), dash.latencies.length ? String(Math.round((dash.cacheHits / dash.latencies.length) * 100)) : "-");
  cells.push(...kind(minute.get("entry")), ...kind(minute.get("bulk")), ...kind(minute.get("export")));
  const runs = minute.get("run").latencies;
  cells.push(runs.length ? runs.map((ms) => (ms / 1000).toFixed(1)).join(",") : "-");
  const all = minute.merged(KINDS);
  cells.push(String(all.errors), String(all.limited), String(all.behind));
  const s = minute.server;
  cells.push(
    s ? String(s.rssMeanMb) : "-",
    s?.rssAfterGcMb !== undefined ? String(s.rssAfterGcMb) : "-",
    s ? `${s.heap.usedMb}/${s.heap.totalMb}` : "-",
    s ? String(s.externalMb) : "-",
    s ? `${s.lag.p99}/${s.lag.max}` : "-",
    s ? `${s.pool.max}/${s.pool.mean.toFixed(2)}` : "-",
    s ? String(s.sockets.open) : "-",
  );
  return cells.map((cell, i) => cell.padStart(COLUMNS[i]![1])).join(" ");
}

export interface EventTally {
  subscribers: number;
  /** Subscribers whose socket closed before the end (or never connected): their events are not judged. */
  dropped: number;
  expected: number;
  received: number;
  /** Events expected by subscribers that stayed connected and never received. */
  lost: number;
  /** Events received beyond what the load caused (a scheduled run, a counting mistake): shown, not judged. */
  extra: number;
  /** Events that came with GraphQL errors (also counted as errors). */
  failed: number;
}

export interface Check {
  name: string;
  pass: boolean;
  detail: string;
}

/** The pass line: minute 2 against the last minute, every error, every event. */
export function verdict(minutes: Minute[], events: EventTally, otherErrors: number): Check[] {
  const second = minutes[1]!;
  const last = minutes.at(-1)!;
  const checks: Check[] = [];
  const errors = minutes.reduce((sum, minute) => sum + minute.merged(KINDS).errors, 0) + otherErrors;
  const limited = minutes.reduce((sum, minute) => sum + minute.merged(KINDS).limited, 0);
  checks.push({ name: "errors", pass: errors === 0, detail: `${errors} errors, ${limited} deliberate 429s (not errors)` });

  // RSS right after a full collection when the server exposes gc (soak.ts forks it so): the mean of
  // a minute rises and falls by a third with where V8's collection cycle is, which says nothing of a leak.
  const settled = second.server?.rssAfterGcMb !== undefined && last.server?.rssAfterGcMb !== undefined;
  const rssOf = (minute: Minute) => (settled ? minute.server?.rssAfterGcMb : minute.server?.rssMeanMb) ?? NaN;
  const rss2 = rssOf(second);
  const rssEnd = rssOf(last);
  const growth = (rssEnd - rss2) / rss2;
  checks.push({
    name: settled ? "RSS (after a full collection)" : "RSS (mean of the minute)",
    pass: growth <= RSS_GROWTH_LIMIT,
    detail:
      `minute ${minutes.length} ${rssEnd} MB vs minute 2 ${rss2} MB (${percent(growth)}; limit +${RSS_GROWTH_LIMIT * 100} %)` +
      `; mean of the minute ${last.server?.rssMeanMb ?? "-"} MB vs ${second.server?.rssMeanMb ?? "-"} MB`,
  });

  const judged: [string, readonly Kind[]][] = [
    ["dashboards (all roles)", DASHBOARDS],
    ...KINDS.filter((k) => !DASHBOARDS.includes(k)).map((k): [string, Kind[]] => [k, [k]]),
  ];
  for (const [name, kinds] of judged) {
    const a = second.merged(kinds).latencies;
    const b = last.merged(kinds).latencies;
    const p2 = percentile(a, 99);
    const pEnd = percentile(b, 99);
    const change = (pEnd - p2) / p2;
    const detail = `p99 ${round(pEnd)} ms vs ${round(p2)} ms (${percent(change)}; ${b.length} and ${a.length} requests)`;
    if (a.length < MIN_JUDGED_SAMPLES || b.length < MIN_JUDGED_SAMPLES) {
      checks.push({
        name: `p99 ${name}`,
        pass: true,
        detail: `not judged, under ${MIN_JUDGED_SAMPLES} requests a minute: ${detail}`,
      });
    } else {
      checks.push({
        name: `p99 ${name}`,
        pass: change <= P99_GROWTH_LIMIT,
        detail: `${detail}; limit +${P99_GROWTH_LIMIT * 100} %`,
      });
    }
  }

  checks.push({
    name: "live events",
    pass: events.lost === 0 && events.subscribers - events.dropped > 0,
    detail:
      `${events.received} of ${events.expected} expected received by ${events.subscribers - events.dropped} subscribers that stayed connected ` +
      `(${events.dropped} dropped); lost ${events.lost}, extra ${events.extra}, with errors ${events.failed}`,
  });
  return checks;
}

const percent = (fraction: number) =>
  Number.isNaN(fraction) ? "n/a" : `${fraction >= 0 ? "+" : ""}${(fraction * 100).toFixed(1)} %`;
