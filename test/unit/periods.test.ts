import { describe, expect, it } from "vitest";
import {
  addDays,
  assignmentCovers,
  formatDate,
  isCalendarDate,
  isExactPeriod,
  latestCompletedPeriod,
  parseDate,
  periodContaining,
  shiftPeriod,
  todayIn,
} from "../../src/scoring/periods.js";

describe("periodContaining", () => {
  it("daily: the day itself to the next day, across month and year ends", () => {
    expect(periodContaining("daily", "2026-11-25")).toEqual({ start: "2026-11-25", end: "2026-11-26" });
    expect(periodContaining("daily", "2026-02-28")).toEqual({ start: "2026-02-28", end: "2026-03-01" });
    expect(periodContaining("daily", "2028-02-28")).toEqual({ start: "2028-02-28", end: "2028-02-29" });
    expect(periodContaining("daily", "2026-12-31")).toEqual({ start: "2026-12-31", end: "2027-01-01" });
  });

  it("weekly: the ISO week, Monday to Monday", () => {
    // 2026-11-23 is a Monday, 2026-11-25 a Wednesday, 2026-11-29 a Sunday.
    const week = { start: "2026-11-23", end: "2026-11-30" };
    expect(periodContaining("weekly", "2026-11-23")).toEqual(week);
    expect(periodContaining("weekly", "2026-11-25")).toEqual(week);
    expect(periodContaining("weekly", "2026-11-29")).toEqual(week);
    // The next Monday starts the next week.
    expect(periodContaining("weekly", "2026-11-30")).toEqual({ start: "2026-11-30", end: "2026-12-07" });
  });

  it("weekly: a Sunday belongs to the week that started the Monday before", () => {
    // 2026-03-01 is a Sunday; its week started on Monday 2026-02-23.
    expect(periodContaining("weekly", "2026-03-01")).toEqual({ start: "2026-02-23", end: "2026-03-02" });
  });

  it("weekly: weeks across year boundaries", () => {
    // 2026-01-01 is a Thursday: ISO week 1 of 2026 starts on Monday 2025-12-29.
    expect(periodContaining("weekly", "2026-01-01")).toEqual({ start: "2025-12-29", end: "2026-01-05" });
    expect(periodContaining("weekly", "2025-12-29")).toEqual({ start: "2025-12-29", end: "2026-01-05" });
    expect(periodContaining("weekly", "2026-01-04")).toEqual({ start: "2025-12-29", end: "2026-01-05" });
    // ISO week 53 of 2026: Monday 2026-12-28 to Monday 2027-01-04.
    const week53 = { start: "2026-12-28", end: "2027-01-04" };
    expect(periodContaining("weekly", "2026-12-28")).toEqual(week53);
    expect(periodContaining("weekly", "2026-12-31")).toEqual(week53);
    expect(periodContaining("weekly", "2027-01-03")).toEqual(week53);
    expect(periodContaining("weekly", "2027-01-04")).toEqual({ start: "2027-01-04", end: "2027-01-11" });
  });

  it("monthly: the calendar month, February in leap and non-leap years, December into January", () => {
    expect(periodContaining("monthly", "2026-10-15")).toEqual({ start: "2026-10-01", end: "2026-11-01" });
    expect(periodContaining("monthly", "2026-10-01")).toEqual({ start: "2026-10-01", end: "2026-11-01" });
    expect(periodContaining("monthly", "2026-10-31")).toEqual({ start: "2026-10-01", end: "2026-11-01" });
    expect(periodContaining("monthly", "2026-02-28")).toEqual({ start: "2026-02-01", end: "2026-03-01" });
    expect(periodContaining("monthly", "2028-02-29")).toEqual({ start: "2028-02-01", end: "2028-03-01" });
    expect(periodContaining("monthly", "2026-12-31")).toEqual({ start: "2026-12-01", end: "2027-01-01" });
  });

  it("quarterly: quarters start in January, April, July and October; Q4 ends in the next year", () => {
    expect(periodContaining("quarterly", "2026-01-01")).toEqual({ start: "2026-01-01", end: "2026-04-01" });
    expect(periodContaining("quarterly", "2026-03-31")).toEqual({ start: "2026-01-01", end: "2026-04-01" });
    expect(periodContaining("quarterly", "2026-05-15")).toEqual({ start: "2026-04-01", end: "2026-07-01" });
    expect(periodContaining("quarterly", "2026-09-30")).toEqual({ start: "2026-07-01", end: "2026-10-01" });
    expect(periodContaining("quarterly", "2026-11-25")).toEqual({ start: "2026-10-01", end: "2027-01-01" });
  });

  it("refuses a malformed date", () => {
    expect(() => periodContaining("monthly", "2026-13-01")).toThrow(RangeError);
    expect(() => periodContaining("weekly", "yesterday")).toThrow(RangeError);
  });
});

describe("isExactPeriod", () => {
  it("accepts exactly one period of the kind", () => {
    expect(isExactPeriod("daily", "2026-11-25", "2026-11-26")).toBe(true);
    expect(isExactPeriod("weekly", "2026-11-23", "2026-11-30")).toBe(true);
    expect(isExactPeriod("weekly", "2026-12-28", "2027-01-04")).toBe(true);
    expect(isExactPeriod("monthly", "2026-10-01", "2026-11-01")).toBe(true);
    expect(isExactPeriod("monthly", "2028-02-01", "2028-03-01")).toBe(true);
    expect(isExactPeriod("quarterly", "2026-10-01", "2027-01-01")).toBe(true);
  });

  it("refuses ranges that are not exactly one period", () => {
    // A month given as an inclusive end.
    expect(isExactPeriod("monthly", "2026-10-01", "2026-10-31")).toBe(false);
    // Not starting on the first of the month.
    expect(isExactPeriod("monthly", "2026-10-02", "2026-11-02")).toBe(false);
    // Two months.
    expect(isExactPeriod("monthly", "2026-10-01", "2026-12-01")).toBe(false);
    // A week from Sunday to Sunday.
    expect(isExactPeriod("weekly", "2026-11-22", "2026-11-29")).toBe(false);
    // A month is not a quarter, nor a quarter starting in February.
    expect(isExactPeriod("quarterly", "2026-10-01", "2026-11-01")).toBe(false);
    expect(isExactPeriod("quarterly", "2026-02-01", "2026-05-01")).toBe(false);
    // Two days, and an empty range.
    expect(isExactPeriod("daily", "2026-11-25", "2026-11-27")).toBe(false);
    expect(isExactPeriod("daily", "2026-11-25", "2026-11-25")).toBe(false);
  });

  it("is false, not an error, for malformed dates", () => {
    expect(isExactPeriod("monthly", "2026-10-1", "2026-11-01")).toBe(false);
    expect(isExactPeriod("monthly", "2026-10-01", "2026-11-1")).toBe(false);
    expect(isExactPeriod("monthly", "2026-02-30", "2026-03-30")).toBe(false);
    expect(isExactPeriod("daily", "not a date", "2026-11-26")).toBe(false);
    expect(isExactPeriod("daily", "", "")).toBe(false);
  });
});

describe("shiftPeriod", () => {
  it("moves back and forward across years", () => {
    const october = { start: "2026-10-01", end: "2026-11-01" };
    expect(shiftPeriod("monthly", october, -1)).toEqual({ start: "2026-09-01", end: "2026-10-01" });
    expect(shiftPeriod("monthly", october, 3)).toEqual({ start: "2027-01-01", end: "2027-02-01" });
    expect(shiftPeriod("monthly", october, -10)).toEqual({ start: "2025-12-01", end: "2026-01-01" });
    expect(shiftPeriod("monthly", october, 0)).toEqual(october);

    const q1 = { start: "2026-01-01", end: "2026-04-01" };
    expect(shiftPeriod("quarterly", q1, -1)).toEqual({ start: "2025-10-01", end: "2026-01-01" });
    expect(shiftPeriod("quarterly", q1, 4)).toEqual({ start: "2027-01-01", end: "2027-04-01" });

    const week1 = { start: "2025-12-29", end: "2026-01-05" };
    expect(shiftPeriod("weekly", week1, -1)).toEqual({ start: "2025-12-22", end: "2025-12-29" });
    expect(shiftPeriod("weekly", week1, 52)).toEqual({ start: "2026-12-28", end: "2027-01-04" });
    expect(shiftPeriod("weekly", week1, 53)).toEqual({ start: "2027-01-04", end: "2027-01-11" });

    expect(shiftPeriod("daily", { start: "2026-12-31", end: "2027-01-01" }, 1)).toEqual({
      start: "2027-01-01",
      end: "2027-01-02",
    });
    expect(shiftPeriod("daily", { start: "2028-03-01", end: "2028-03-02" }, -1)).toEqual({
      start: "2028-02-29",
      end: "2028-03-01",
    });
  });
});

describe("latestCompletedPeriod", () => {
  it("is the period before the one containing today", () => {
    expect(latestCompletedPeriod("monthly", "2026-11-25")).toEqual({ start: "2026-10-01", end: "2026-11-01" });
    // On the first day of a period the previous one has just ended.
    expect(latestCompletedPeriod("monthly", "2026-11-01")).toEqual({ start: "2026-10-01", end: "2026-11-01" });
    expect(latestCompletedPeriod("monthly", "2026-01-15")).toEqual({ start: "2025-12-01", end: "2026-01-01" });
    expect(latestCompletedPeriod("daily", "2026-01-01")).toEqual({ start: "2025-12-31", end: "2026-01-01" });
    expect(latestCompletedPeriod("weekly", "2026-11-25")).toEqual({ start: "2026-11-16", end: "2026-11-23" });
    expect(latestCompletedPeriod("weekly", "2026-01-01")).toEqual({ start: "2025-12-22", end: "2025-12-29" });
    expect(latestCompletedPeriod("quarterly", "2026-02-10")).toEqual({ start: "2025-10-01", end: "2026-01-01" });
  });
});

describe("parseDate", () => {
  it("parses a calendar date as UTC midnight", () => {
    expect(parseDate("2026-11-25").toISOString()).toBe("2026-11-25T00:00:00.000Z");
    expect(parseDate("2028-02-29").toISOString()).toBe("2028-02-29T00:00:00.000Z");
    expect(formatDate(parseDate("2026-01-05"))).toBe("2026-01-05");
  });

  it("refuses days that do not exist and anything not YYYY-MM-DD", () => {
    for (const bad of ["2026-02-30", "2026-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-1-5", "2026-01-5"]) {
      expect(() => parseDate(bad), bad).toThrow(RangeError);
      expect(isCalendarDate(bad), bad).toBe(false);
    }
    for (const bad of ["", "20260105", "2026/01/05", "2026-01-05T00:00:00Z", " 2026-01-05"]) {
      expect(() => parseDate(bad), bad).toThrow(RangeError);
    }
    expect(isCalendarDate("2026-01-05")).toBe(true);
  });

  it("addDays moves by calendar days", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(addDays("2028-03-01", -1)).toBe("2028-02-29");
  });
});

describe("todayIn", () => {
  it("is the calendar date of the instant in the given time zone", () => {
    const instant = new Date("2026-11-25T23:30:00Z");
    expect(todayIn("UTC", instant)).toBe("2026-11-25");
    expect(todayIn("Asia/Tokyo", instant)).toBe("2026-11-26");
    expect(todayIn("America/New_York", instant)).toBe("2026-11-25");
    expect(todayIn("Pacific/Kiritimati", new Date("2026-12-31T10:30:00Z"))).toBe("2027-01-01");
    expect(todayIn("America/Los_Angeles", new Date("2027-01-01T07:00:00Z"))).toBe("2026-12-31");
  });

  it("follows daylight saving time (Europe/Paris on 2026-03-29)", () => {
    // Before the change, Paris is UTC+1: 23:30 UTC on the 28th is 00:30 on the 29th.
    expect(todayIn("Europe/Paris", new Date("2026-03-28T22:30:00Z"))).toBe("2026-03-28");
    expect(todayIn("Europe/Paris", new Date("2026-03-28T23:30:00Z"))).toBe("2026-03-29");
    // After it, UTC+2: 21:30 UTC is 23:30 on the 29th, 22:30 UTC already 00:30 on the 30th.
    expect(todayIn("Europe/Paris", new Date("2026-03-29T21:30:00Z"))).toBe("2026-03-29");
    expect(todayIn("Europe/Paris", new Date("2026-03-29T22:30:00Z"))).toBe("2026-03-30");
  });

  it("formats as YYYY-MM-DD, a valid calendar date", () => {
    const today = todayIn("Europe/Paris", new Date("2026-01-05T12:00:00Z"));
    expect(today).toBe("2026-01-05");
    expect(isCalendarDate(today)).toBe(true);
  });
});

describe("assignmentCovers", () => {
  const october = { start: "2026-10-01", end: "2026-11-01" };

  it("takes the assignment's dates as inclusive and the period as half-open", () => {
    expect(assignmentCovers({ startDate: "2026-10-31", endDate: null }, october)).toBe(true);
    expect(assignmentCovers({ startDate: "2026-11-01", endDate: null }, october)).toBe(false);
    expect(assignmentCovers({ startDate: "2026-01-01", endDate: "2026-10-01" }, october)).toBe(true);
    expect(assignmentCovers({ startDate: "2026-01-01", endDate: "2026-09-30" }, october)).toBe(false);
    expect(assignmentCovers({ startDate: "2026-10-10", endDate: "2026-10-20" }, october)).toBe(true);
  });
});
