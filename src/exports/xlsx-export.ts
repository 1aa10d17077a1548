import type ExcelJS from "exceljs";
import { PassThrough, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ColumnKind, ExportColumn, ExportRow } from "./export-columns.js";

// Numbers keep Excel's General format: "0.##" would show 10 as "10.".
const FORMATS: Record<ColumnKind, Partial<ExcelJS.Style>> = {
  integer: {},
  number: {},
  text: {},
  date: { numFmt: "yyyy-mm-dd" },
  instant: { numFmt: "yyyy-mm-dd hh:mm:ss" },
};

const WIDTHS: Record<ColumnKind, number> = { integer: 10, number: 12, text: 24, date: 12, instant: 20 };

function cellValue(row: ExportRow, column: ExportColumn): ExcelJS.CellValue {
  const value = row[column.name];
  if (value === null || value === undefined) return null;
  // Calendar days as midnight UTC: exceljs turns a Date into a serial day number in UTC, so the cell is that day.
  if (column.kind === "date") return new Date(`${String(value)}T00:00:00Z`);
  return value as ExcelJS.CellValue;
}

/** How much of the worksheet's XML may wait for the zip stream before the writer waits for it. */
const BACKLOG_BYTES = 1 << 20;

/**
 * The stream through which the zip stream (archiver) reads the worksheet. exceljs writes a sheet's
 * XML into a StreamBuf of its own that ignores back-pressure, and archiver copies a stream of that
 * kind into a PassThrough it creates, unbounded: with a slow client the whole sheet would pile up
 * there. So the workbook's archiver gets our PassThrough instead, the same copy archiver would make,
 * whose buffer is the backlog, and the writer waits for it to drain. Relies on exceljs 4's `zip`
 * field (its archiver) and archiver's public `append(source, data)`.
 */
function watchWorksheetBacklog(workbook: ExcelJS.stream.xlsx.WorkbookWriter): () => PassThrough | undefined {
  const zip = (workbook as unknown as { zip?: { append(source: unknown, data: unknown): unknown } }).zip;
  if (typeof zip?.append !== "function") throw new Error("exceljs's WorkbookWriter has no archiver at .zip: check its version");
  const append = zip.append.bind(zip);
  let backlog: PassThrough | undefined;
  zip.append = (source, data) => {
    const stream = source as { pipe?: unknown; _readableState?: unknown } | null;
    if (typeof stream?.pipe !== "function" || stream._readableState !== undefined) return append(source, data);
    backlog = new PassThrough({ highWaterMark: BACKLOG_BYTES });
    (source as { pipe(destination: PassThrough): void }).pipe(backlog);
    return append(backlog, data);
  };
  return () => backlog;
}

/** Resolves when `stream` takes writes again, or when `gone` closed (the client left; the caller then stops). */
function drained(stream: Writable | undefined, gone: Writable): Promise<void> {
  if (!stream?.writableNeedDrain || gone.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      gone.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    gone.on("close", done);
  });
}

/**
 * Writes the rows as one XLSX worksheet with exceljs's streaming WorkbookWriter: each row is
 * committed (serialised and handed to the zip stream) as it is added, strings are inline (shared
 * strings would keep every distinct string in memory to the end), numbers are number cells, days and
 * instants date cells (instants in UTC). Text is written as it is: a text cell of a workbook is never
 * run as a formula, unlike a CSV field. After each page the writer waits until the zip stream has
 * taken the worksheet's XML (see watchWorksheetBacklog), and the zip stream waits for `out`.
 */
export async function writeXlsx(
  pages: AsyncIterable<ExportRow[]>,
  columns: readonly ExportColumn[],
  out: Writable,
): Promise<void> {
  // Loaded with the first download, not at start: exceljs and its zip libraries are a megabyte and a half of modules.
  const { default: excel } = await import("exceljs");
  const zipped = new PassThrough();
  const sent = pipeline(zipped, out);
  // Handled here too: it can fail (the client left) while this function still awaits a page.
  sent.catch(() => undefined);
  const workbook = new excel.stream.xlsx.WorkbookWriter({ stream: zipped, useStyles: true, useSharedStrings: false });
  const backlog = watchWorksheetBacklog(workbook);
  const sheet = workbook.addWorksheet("Measurements", { views: [{ state: "frozen", ySplit: 1 }] });
  sheet.columns = columns.map((column) => ({ key: column.name, width: WIDTHS[column.kind], style: FORMATS[column.kind] }));
  const header = sheet.addRow(columns.map((column) => column.name));
  header.font = { bold: true };
  header.commit();
  try {
    for await (const page of pages) {
      for (const row of page) sheet.addRow(columns.map((column) => cellValue(row, column))).commit();
      await drained(backlog(), zipped);
      if (zipped.destroyed) break;
    }
    if (!zipped.destroyed) {
      sheet.commit();
      await workbook.commit();
    }
  } catch (error) {
    // A failed read mid-download: the client must see a broken transfer, not a short workbook.
    zipped.destroy(error as Error);
  }
  await sent;
}
