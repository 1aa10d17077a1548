/** How figures read on every view: one place, so a KPI reads the same on a card, a table and a chart. */

const numberFormat = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });
const percentFormat = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });
const dateFormat = new Intl.DateTimeFormat("en", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
const monthFormat = new Intl.DateTimeFormat("en", { year: "numeric", month: "short", timeZone: "UTC" });
const dateTimeFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

const CURRENCY_SIGNS: Record<string, string> = { currency: "", USD: "$", EUR: "€", GBP: "£", $: "$", "€": "€", "£": "£" };

export function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : numberFormat.format(value);
}

/** A value with its unit: "93.5 %", "$12,400", "42 tickets". */
export function formatValue(value: number | null | undefined, unit: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const number = numberFormat.format(value);
  if (!unit) return number;
  if (unit === "%" || unit === "percent" || unit === "percentage") return `${number} %`;
  const sign = CURRENCY_SIGNS[unit];
  if (sign !== undefined) return sign ? `${sign}${number}` : number;
  return `${number} ${unit}`;
}

export function formatPercent(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${percentFormat.format(value)} %`;
}

export function formatDate(date: string | null | undefined): string {
  return date ? dateFormat.format(new Date(`${date}T00:00:00Z`)) : "—";
}

export function formatDateTime(instant: string | null | undefined): string {
  return instant ? dateTimeFormat.format(new Date(instant)) : "—";
}

/** A half-open period [start, end) as people say it: "Oct 2026", "Oct 1 – Oct 7, 2026". */
export function formatPeriod(start: string, end: string): string {
  const first = new Date(`${start}T00:00:00Z`);
  const last = new Date(`${end}T00:00:00Z`);
  last.setUTCDate(last.getUTCDate() - 1);
  const wholeMonth = first.getUTCDate() === 1 && new Date(`${end}T00:00:00Z`).getUTCDate() === 1;
  const months = (last.getUTCFullYear() - first.getUTCFullYear()) * 12 + last.getUTCMonth() - first.getUTCMonth();
  if (wholeMonth && months === 0) return monthFormat.format(first);
  if (wholeMonth && months === 2) return `Q${Math.floor(first.getUTCMonth() / 3) + 1} ${first.getUTCFullYear()}`;
  if (start === isoDate(last)) return dateFormat.format(first);
  return `${dateFormat.format(first)} – ${dateFormat.format(last)}`;
}

/** A short label for chart axes: "Oct", "Q3 '26", "Oct 7". */
export function formatPeriodShort(start: string, end: string): string {
  const label = formatPeriod(start, end);
  return label.replace(/(\d{4})$/, (year) => `'${year.slice(2)}`);
}

export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
