import { describe, expect, it } from "vitest";
import { monthsBetween, partitionName, partitionWindow } from "../../src/db/partitions.js";

const utc = (year: number, month: number, day = 1) => new Date(Date.UTC(year, month - 1, day));
const iso = (dates: Date[]) => dates.map((date) => date.toISOString().slice(0, 10));

describe("monthsBetween", () => {
  it("lists the first day of every month in [from, to], inclusive, whatever the days", () => {
    expect(iso(monthsBetween("2024-03-15", "2024-06-02"))).toEqual(["2024-03-01", "2024-04-01", "2024-05-01", "2024-06-01"]);
  });

  it("crosses a year boundary", () => {
    expect(iso(monthsBetween("2023-11-30", "2024-02-01"))).toEqual(["2023-11-01", "2023-12-01", "2024-01-01", "2024-02-01"]);
  });

  it("gives a single month when both dates fall in it", () => {
    expect(iso(monthsBetween("2024-02-01", "2024-02-29"))).toEqual(["2024-02-01"]);
    expect(iso(monthsBetween("2024-02-10", "2024-02-10"))).toEqual(["2024-02-01"]);
  });

  it("gives nothing when from is after to", () => {
    expect(monthsBetween("2024-05-01", "2024-04-30")).toEqual([]);
    expect(monthsBetween("2025-01-01", "2024-12-01")).toEqual([]);
  });

  it("returns UTC midnights, independent of the local time zone", () => {
    for (const month of monthsBetween("1999-12-01", "2000-01-01")) {
      expect(month.getUTCDate()).toBe(1);
      expect(month.getUTCHours()).toBe(0);
    }
  });
});

describe("partitionName", () => {
  it("names a month with a four-digit year and a two-digit month", () => {
    expect(partitionName(utc(2024, 1))).toBe("kpi_measurements_y2024m01");
    expect(partitionName(utc(2024, 9))).toBe("kpi_measurements_y2024m09");
    expect(partitionName(utc(1999, 12))).toBe("kpi_measurements_y1999m12");
  });

  it("uses the UTC month of the date", () => {
    expect(partitionName(new Date("2024-12-31T23:59:59Z"))).toBe("kpi_measurements_y2024m12");
    expect(partitionName(new Date("2025-01-01T00:00:00Z"))).toBe("kpi_measurements_y2025m01");
  });

  it("names each month of monthsBetween once", () => {
    const names = monthsBetween("2023-01-01", "2024-12-01").map(partitionName);
    expect(names).toHaveLength(24);
    expect(new Set(names).size).toBe(24);
  });
});

describe("partitionWindow", () => {
  it("spans monthsBack before and monthsAhead after the current month", () => {
    expect(partitionWindow(utc(2024, 6, 15), 2, 3)).toEqual({ from: "2024-04-01", to: "2024-09-01" });
  });

  it("crosses year boundaries in both directions", () => {
    expect(partitionWindow(utc(2024, 1, 20), 24, 3)).toEqual({ from: "2022-01-01", to: "2024-04-01" });
    expect(partitionWindow(utc(2024, 11, 30), 1, 3)).toEqual({ from: "2024-10-01", to: "2025-02-01" });
    expect(partitionWindow(utc(2024, 12, 31), 12, 1)).toEqual({ from: "2023-12-01", to: "2025-01-01" });
  });

  it("is a single month with no months back or ahead", () => {
    const window = partitionWindow(utc(2024, 2, 29), 0, 0);
    expect(window).toEqual({ from: "2024-02-01", to: "2024-02-01" });
    expect(iso(monthsBetween(window.from, window.to))).toEqual(["2024-02-01"]);
  });

  it("takes the month of today in UTC", () => {
    expect(partitionWindow(new Date("2024-03-31T23:30:00Z"), 0, 0).from).toBe("2024-03-01");
    expect(partitionWindow(new Date("2024-04-01T00:00:00Z"), 0, 0).from).toBe("2024-04-01");
  });

  it("covers monthsBack + monthsAhead + 1 months", () => {
    const window = partitionWindow(utc(2025, 8, 8), 24, 3);
    expect(monthsBetween(window.from, window.to)).toHaveLength(28);
  });
});
