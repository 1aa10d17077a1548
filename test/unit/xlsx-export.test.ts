import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { TEAM_EXPORT_COLUMNS, type ExportRow } from "../../src/exports/export-columns.js";
import { writeXlsx } from "../../src/exports/xlsx-export.js";

/**
 * The XLSX writer against a client that takes nothing: exceljs's StreamBuf ignores back-pressure,
 * so without the writer's own pacing every page would be read and buffered at once (500,000 rows,
 * some 400 MB, in about a second); with it, reading stops once a bounded backlog waits.
 */

const ROWS_PER_PAGE = 1000;
const PAGES = 500;

function row(index: number): ExportRow {
  return {
    team_id: 1,
    team_name: "Team",
    user_id: index,
    user_name: `User ${index}`,
    user_email: `user${index}@example.test`,
    user_kpi_id: index,
    kpi_definition_id: 1,
    kpi_name: "Calls",
    category: "support",
    unit: "calls",
    aggregation_period: "daily",
    period_start: "2024-01-01",
    period_end: "2024-01-02",
    actual_value: index % 100,
    target_value: 50,
    achievement_percentage: (index % 100) * 2,
    weight: 50,
    calculated_at: new Date("2024-01-02T06:00:00Z"),
    notes: null,
  };
}

describe("writeXlsx with a client that reads nothing", () => {
  it("stops reading pages while the backlog waits, and stops for good when the client leaves", async () => {
    let read = 0;
    let finished = false;
    async function* pages() {
      try {
        for (let page = 0; page < PAGES; page++) {
          read += ROWS_PER_PAGE;
          yield Array.from({ length: ROWS_PER_PAGE }, (_, i) => row(page * ROWS_PER_PAGE + i));
        }
      } finally {
        finished = true;
      }
    }
    // Never calls back: the socket of a client that stopped reading.
    const stalled = new Writable({ write: () => undefined });
    const written = writeXlsx(pages(), TEAM_EXPORT_COLUMNS, stalled);

    let before = -1;
    while (read !== before) {
      before = read;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(read).toBeLessThan((PAGES * ROWS_PER_PAGE) / 5);

    stalled.destroy();
    await expect(written).rejects.toMatchObject({ code: "ERR_STREAM_PREMATURE_CLOSE" });
    expect(finished).toBe(true);
    expect(read).toBe(before);
  });
});
