import { stringify, type Options } from "csv-stringify/sync";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ExportColumn, ExportRow } from "./export-columns.js";

const OPTIONS: Options = {
  // Every field but a number, a day or an instant (which can hold no delimiter, quote or formula) is
  // quoted, even where RFC 4180 would not need it, as OWASP advises: so all text, and "" apart from null.
  // A per-column choice would cost an options object per field in csv-stringify, most of the CPU.
  quoted_match: /^(?!(?:-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}\.\d{3}Z)?)$)/,
  // A text starting with = + - @ tab or CR (or a full-width = + - @) gets a leading ' (OWASP, CSV injection).
  escape_formulas: true,
  cast: { date: (value) => value.toISOString() },
};

async function* csvText(pages: AsyncIterable<ExportRow[]>, columns: readonly ExportColumn[]): AsyncGenerator<string> {
  // Written here rather than by csv-stringify, which would quote the names like any text.
  yield columns.map((column) => column.name).join(",") + "\n";
  for await (const page of pages)
    yield stringify(
      page.map((row) => columns.map((column) => row[column.name])),
      OPTIONS,
    );
}

/**
 * Writes the rows as CSV (RFC 4180 quoting, LF line ends, a header line) to `out`, a page at a time
 * and at the pace `out` takes them: pipeline() asks for the next page only when the previous one
 * has gone to the socket. Text is quoted and escaped against formula injection (a spreadsheet shows
 * "=1+1" as text instead of running it); numbers, days and instants are written plain, so -5 is a
 * number; null is an empty field.
 */
export async function writeCsv(
  pages: AsyncIterable<ExportRow[]>,
  columns: readonly ExportColumn[],
  out: Writable,
): Promise<void> {
  // One page in the stream's buffer at most: it is the unit of memory the export holds.
  await pipeline(Readable.from(csvText(pages, columns), { highWaterMark: 1 }), out);
}
