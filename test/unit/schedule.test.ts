import { describe, expect, it } from "vitest";
import type { AggregationPeriodValue } from "../../src/db/schema/index.js";
import { cronProblem, DEFAULT_SCHEDULE, nextFireTimes } from "../../src/config/schedule.js";
import { periodForScheduledRun, snapshotDateFor } from "../../src/jobs/schedules.js";

const ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Pacific/Auckland"] as const;

/** An instant as the organisation's wall clock shows it, "YYYY-MM-DD HH:mm". */
function localTime(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("sv-SE", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(instant);
}

function fires(expression: string, after: string, timeZone: string, count: number): string[] {
  return nextFireTimes(expression, new Date(after), timeZone, count).map((instant) => instant.toISOString());
}

describe("periodForScheduledRun", () => {
  it("daily: the day before the fire's local date", () => {
    expect(periodForScheduledRun("daily", new Date("2026-11-25T02:00:00Z"), "UTC")).toEqual({
      start: "2026-11-24",
      end: "2026-11-25",
    });
    // 02:00 JST on 2026-11-25 is still 2026-11-24 in UTC.
    expect(periodForScheduledRun("daily", new Date("2026-11-24T17:00:00Z"), "Asia/Tokyo")).toEqual({
      start: "2026-11-24",
      end: "2026-11-25",
    });
    expect(periodForScheduledRun("daily", new Date("2026-11-24T17:00:00Z"), "UTC")).toEqual({
      start: "2026-11-23",
      end: "2026-11-24",
    });
  });

  it("monthly on the 1st: the previous month (the example of the doc comment)", () => {
    // 2026-11-01 04:00 in Paris (CET, UTC+1).
    expect(periodForScheduledRun("monthly", new Date("2026-11-01T03:00:00Z"), "Europe/Paris")).toEqual({
      start: "2026-10-01",
      end: "2026-11-01",
    });
    expect(periodForScheduledRun("monthly", new Date("2026-11-01T04:00:00Z"), "UTC")).toEqual({
      start: "2026-10-01",
      end: "2026-11-01",
    });
  });

  it("monthly on January 1st: December of the previous year", () => {
    expect(periodForScheduledRun("monthly", new Date("2027-01-01T04:00:00Z"), "UTC")).toEqual({
      start: "2026-12-01",
      end: "2027-01-01",
    });
    // 2027-01-01 04:00 in New York (EST, UTC-5).
    expect(periodForScheduledRun("monthly", new Date("2027-01-01T09:00:00Z"), "America/New_York")).toEqual({
      start: "2026-12-01",
      end: "2027-01-01",
    });
    // 2027-01-01 04:00 in Tokyo is 2026-12-31 19:00 UTC: Tokyo computes December, UTC still November.
    const tokyoNewYear = new Date("2026-12-31T19:00:00Z");
    expect(periodForScheduledRun("monthly", tokyoNewYear, "Asia/Tokyo")).toEqual({ start: "2026-12-01", end: "2027-01-01" });
    expect(periodForScheduledRun("monthly", tokyoNewYear, "UTC")).toEqual({ start: "2026-11-01", end: "2026-12-01" });
  });

  it("monthly and daily at the end of February, in the leap year 2028 and in 2027", () => {
    // 2028-03-01 04:00 in Auckland (NZDT, UTC+13) is 2028-02-29 15:00 UTC.
    expect(periodForScheduledRun("monthly", new Date("2028-02-29T15:00:00Z"), "Pacific/Auckland")).toEqual({
      start: "2028-02-01",
      end: "2028-03-01",
    });
    expect(periodForScheduledRun("monthly", new Date("2027-02-28T15:00:00Z"), "Pacific/Auckland")).toEqual({
      start: "2027-02-01",
      end: "2027-03-01",
    });
    expect(periodForScheduledRun("daily", new Date("2028-03-01T02:00:00Z"), "UTC")).toEqual({
      start: "2028-02-29",
      end: "2028-03-01",
    });
    expect(periodForScheduledRun("daily", new Date("2027-03-01T02:00:00Z"), "UTC")).toEqual({
      start: "2027-02-28",
      end: "2027-03-01",
    });
    // Still 2028-02-29 in UTC: the daily run there computes the 28th, not the 29th.
    expect(periodForScheduledRun("daily", new Date("2028-02-29T15:00:00Z"), "UTC")).toEqual({
      start: "2028-02-28",
      end: "2028-02-29",
    });
  });

  it.each([
    // 05:00 on the first day of each quarter in New York (EST in January, EDT in April, July, October).
    ["America/New_York", "2027-01-01T10:00:00Z", { start: "2026-10-01", end: "2027-01-01" }],
    ["America/New_York", "2027-04-01T09:00:00Z", { start: "2027-01-01", end: "2027-04-01" }],
    ["America/New_York", "2027-07-01T09:00:00Z", { start: "2027-04-01", end: "2027-07-01" }],
    ["America/New_York", "2027-10-01T09:00:00Z", { start: "2027-07-01", end: "2027-10-01" }],
    // 05:00 in Tokyo (JST, UTC+9) is 20:00 UTC the day before.
    ["Asia/Tokyo", "2026-12-31T20:00:00Z", { start: "2026-10-01", end: "2027-01-01" }],
    ["Asia/Tokyo", "2027-03-31T20:00:00Z", { start: "2027-01-01", end: "2027-04-01" }],
    ["Asia/Tokyo", "2027-06-30T20:00:00Z", { start: "2027-04-01", end: "2027-07-01" }],
    ["Asia/Tokyo", "2027-09-30T20:00:00Z", { start: "2027-07-01", end: "2027-10-01" }],
    ["UTC", "2027-01-01T05:00:00Z", { start: "2026-10-01", end: "2027-01-01" }],
    ["UTC", "2027-04-01T05:00:00Z", { start: "2027-01-01", end: "2027-04-01" }],
  ])("quarterly in %s at %s: the quarter just ended", (timeZone, firedAt, expected) => {
    expect(periodForScheduledRun("quarterly", new Date(firedAt), timeZone)).toEqual(expected);
  });

  it("quarterly: the same instant is still the last day of the quarter in UTC, so UTC computes the quarter before", () => {
    expect(periodForScheduledRun("quarterly", new Date("2027-03-31T20:00:00Z"), "UTC")).toEqual({
      start: "2026-10-01",
      end: "2027-01-01",
    });
  });

  it("weekly on a Monday: the previous ISO week, including week 53 of 2026", () => {
    // Monday 2027-01-04 03:00 in Paris (CET): ISO 2026-W53 is Monday 2026-12-28 to Monday 2027-01-04.
    expect(periodForScheduledRun("weekly", new Date("2027-01-04T02:00:00Z"), "Europe/Paris")).toEqual({
      start: "2026-12-28",
      end: "2027-01-04",
    });
    // Monday 2026-12-28: ISO 2026-W52.
    expect(periodForScheduledRun("weekly", new Date("2026-12-28T03:00:00Z"), "UTC")).toEqual({
      start: "2026-12-21",
      end: "2026-12-28",
    });
    // Monday 2027-01-04 03:00 in Auckland is Sunday 2027-01-03 14:00 UTC.
    const aucklandMonday = new Date("2027-01-03T14:00:00Z");
    expect(periodForScheduledRun("weekly", aucklandMonday, "Pacific/Auckland")).toEqual({
      start: "2026-12-28",
      end: "2027-01-04",
    });
    expect(periodForScheduledRun("weekly", aucklandMonday, "UTC")).toEqual({ start: "2026-12-21", end: "2026-12-28" });
  });

  it("an instant that is still the previous day locally computes from the local date", () => {
    // 2026-11-01T02:00Z is 2026-10-31 22:00 in New York (EDT): October is not over there yet.
    const instant = new Date("2026-11-01T02:00:00Z");
    expect(periodForScheduledRun("monthly", instant, "America/New_York")).toEqual({ start: "2026-09-01", end: "2026-10-01" });
    expect(periodForScheduledRun("daily", instant, "America/New_York")).toEqual({ start: "2026-10-30", end: "2026-10-31" });
    expect(periodForScheduledRun("monthly", instant, "UTC")).toEqual({ start: "2026-10-01", end: "2026-11-01" });
    expect(periodForScheduledRun("monthly", instant, "Asia/Tokyo")).toEqual({ start: "2026-10-01", end: "2026-11-01" });
  });

  it.each([
    // The instants nextFireTimes gives for "0 2 * * *" on the days the clocks change.
    ["Europe/Paris", "2026-03-29T01:00:00Z", "2026-03-28"],
    ["Europe/Paris", "2026-10-25T00:00:00Z", "2026-10-24"],
    ["America/New_York", "2026-03-08T07:00:00Z", "2026-03-07"],
    ["America/New_York", "2026-11-01T07:00:00Z", "2026-10-31"],
  ])("daily in %s fired at %s on a DST change: still the previous day, %s", (timeZone, firedAt, previousDay) => {
    const firedOn = snapshotDateFor(new Date(firedAt), timeZone);
    expect(periodForScheduledRun("daily", new Date(firedAt), timeZone)).toEqual({ start: previousDay, end: firedOn });
  });

  it("every fire of every default job for a year computes the period that ends on the fire's local date", () => {
    // 53 Mondays from 2026-01-01 reach 2027-01-04, the run that computes ISO week 53.
    const counts: Record<AggregationPeriodValue, number> = { daily: 365, weekly: 53, monthly: 12, quarterly: 4 };
    for (const timeZone of ZONES) {
      for (const period of ["daily", "weekly", "monthly", "quarterly"] as const) {
        const instants = nextFireTimes(DEFAULT_SCHEDULE[period], new Date("2026-01-01T00:00:00Z"), timeZone, counts[period]);
        const localDates = instants.map((instant) => snapshotDateFor(instant, timeZone));
        const periods = instants.map((instant) => periodForScheduledRun(period, instant, timeZone));
        // Consecutive fires compute consecutive periods: none skipped, none computed twice.
        expect(periods.map((computed) => computed.end)).toEqual(localDates);
        expect(periods.slice(1).map((computed) => computed.start)).toEqual(localDates.slice(0, -1));
      }
    }
  });
});

describe("snapshotDateFor", () => {
  it.each([
    ["UTC", "2026-11-01"],
    ["Europe/Paris", "2026-11-01"],
    ["America/New_York", "2026-10-31"],
    ["Asia/Tokyo", "2026-11-01"],
    ["Pacific/Auckland", "2026-11-01"],
  ])("2026-11-01T02:00Z in %s is %s", (timeZone, date) => {
    expect(snapshotDateFor(new Date("2026-11-01T02:00:00Z"), timeZone)).toBe(date);
  });

  it("the default snapshot job writes the local date it fires on, a day ahead of UTC in Auckland", () => {
    const [fire] = nextFireTimes(DEFAULT_SCHEDULE.snapshot, new Date("2026-12-31T00:00:00Z"), "Pacific/Auckland");
    // 06:00 NZDT on 2027-01-01 is 17:00 UTC on 2026-12-31.
    expect(fire?.toISOString()).toBe("2026-12-31T17:00:00.000Z");
    expect(snapshotDateFor(fire!, "Pacific/Auckland")).toBe("2027-01-01");
    expect(snapshotDateFor(fire!, "UTC")).toBe("2026-12-31");
  });
});

describe("nextFireTimes", () => {
  it("the default jobs in UTC", () => {
    expect(fires(DEFAULT_SCHEDULE.daily, "2026-11-24T12:00:00Z", "UTC", 2)).toEqual([
      "2026-11-25T02:00:00.000Z",
      "2026-11-26T02:00:00.000Z",
    ]);
    expect(fires(DEFAULT_SCHEDULE.weekly, "2026-12-20T12:00:00Z", "UTC", 3)).toEqual([
      "2026-12-21T03:00:00.000Z",
      "2026-12-28T03:00:00.000Z",
      "2027-01-04T03:00:00.000Z",
    ]);
    expect(fires(DEFAULT_SCHEDULE.monthly, "2028-01-15T00:00:00Z", "UTC", 3)).toEqual([
      "2028-02-01T04:00:00.000Z",
      "2028-03-01T04:00:00.000Z",
      "2028-04-01T04:00:00.000Z",
    ]);
    expect(fires(DEFAULT_SCHEDULE.quarterly, "2026-11-20T00:00:00Z", "UTC", 4)).toEqual([
      "2027-01-01T05:00:00.000Z",
      "2027-04-01T05:00:00.000Z",
      "2027-07-01T05:00:00.000Z",
      "2027-10-01T05:00:00.000Z",
    ]);
    expect(fires(DEFAULT_SCHEDULE.snapshot, "2026-11-24T12:00:00Z", "UTC", 1)).toEqual(["2026-11-25T06:00:00.000Z"]);
  });

  it("each default job around the new year in Paris: when it fires and what it computes", () => {
    const after = new Date("2026-12-30T12:00:00Z");
    const next = (name: keyof typeof DEFAULT_SCHEDULE) => nextFireTimes(DEFAULT_SCHEDULE[name], after, "Europe/Paris")[0]!;
    expect(next("daily").toISOString()).toBe("2026-12-31T01:00:00.000Z");
    expect(periodForScheduledRun("daily", next("daily"), "Europe/Paris")).toEqual({ start: "2026-12-30", end: "2026-12-31" });
    expect(next("weekly").toISOString()).toBe("2027-01-04T02:00:00.000Z");
    expect(periodForScheduledRun("weekly", next("weekly"), "Europe/Paris")).toEqual({ start: "2026-12-28", end: "2027-01-04" });
    expect(next("monthly").toISOString()).toBe("2027-01-01T03:00:00.000Z");
    expect(periodForScheduledRun("monthly", next("monthly"), "Europe/Paris")).toEqual({
      start: "2026-12-01",
      end: "2027-01-01",
    });
    expect(next("quarterly").toISOString()).toBe("2027-01-01T04:00:00.000Z");
    expect(periodForScheduledRun("quarterly", next("quarterly"), "Europe/Paris")).toEqual({
      start: "2026-10-01",
      end: "2027-01-01",
    });
    expect(next("snapshot").toISOString()).toBe("2026-12-31T05:00:00.000Z");
    expect(snapshotDateFor(next("snapshot"), "Europe/Paris")).toBe("2026-12-31");
  });

  it("the monthly and quarterly jobs in Tokyo and Auckland fire on the local 1st, the day before in UTC", () => {
    expect(fires(DEFAULT_SCHEDULE.quarterly, "2026-11-20T00:00:00Z", "Asia/Tokyo", 2)).toEqual([
      "2026-12-31T20:00:00.000Z",
      "2027-03-31T20:00:00.000Z",
    ]);
    // Auckland keeps NZDT (UTC+13) until 2028-04-02, so 04:00 on the 1st is 15:00 UTC the day before.
    expect(fires(DEFAULT_SCHEDULE.monthly, "2028-01-15T00:00:00Z", "Pacific/Auckland", 3)).toEqual([
      "2028-01-31T15:00:00.000Z",
      "2028-02-29T15:00:00.000Z",
      "2028-03-31T15:00:00.000Z",
    ]);
  });

  it("is strictly after `after`, and gives one instant unless asked for more", () => {
    // 2026-06-01 02:00 in Paris (CEST) is 2026-06-01T00:00Z.
    expect(fires("0 2 * * *", "2026-06-01T00:00:00Z", "Europe/Paris", 1)).toEqual(["2026-06-02T00:00:00.000Z"]);
    expect(fires("0 2 * * *", "2026-05-31T23:59:59.999Z", "Europe/Paris", 1)).toEqual(["2026-06-01T00:00:00.000Z"]);
    expect(nextFireTimes("0 2 * * *", new Date("2026-06-01T12:00:00Z"), "UTC")).toHaveLength(1);
    expect(nextFireTimes("0 2 * * *", new Date("2026-06-01T12:00:00Z"), "UTC", 0)).toEqual([]);
  });

  it("throws on an expression cronProblem rejects, rather than running a padded one", () => {
    expect(() => nextFireTimes("0 2 * *", new Date("2026-06-01T00:00:00Z"), "UTC")).toThrow(RangeError);
    expect(() => nextFireTimes("0 2 * *", new Date("2026-06-01T00:00:00Z"), "UTC")).toThrow(/expected 5 fields/);
  });

  describe("daily job 0 2 * * * across DST changes", () => {
    it("Europe/Paris 2026-03-29 (02:00 does not exist): fires once, at 03:00 CEST = 01:00Z", () => {
      const instants = nextFireTimes("0 2 * * *", new Date("2026-03-27T12:00:00Z"), "Europe/Paris", 4);
      expect(instants.map((instant) => instant.toISOString())).toEqual([
        "2026-03-28T01:00:00.000Z",
        "2026-03-29T01:00:00.000Z",
        "2026-03-30T00:00:00.000Z",
        "2026-03-31T00:00:00.000Z",
      ]);
      expect(instants.map((instant) => localTime(instant, "Europe/Paris"))).toEqual([
        "2026-03-28 02:00",
        "2026-03-29 03:00",
        "2026-03-30 02:00",
        "2026-03-31 02:00",
      ]);
    });

    it("Europe/Paris 2026-10-25 (02:00 happens twice): fires once, at the first 02:00 (CEST) = 00:00Z", () => {
      const instants = nextFireTimes("0 2 * * *", new Date("2026-10-23T12:00:00Z"), "Europe/Paris", 4);
      expect(instants.map((instant) => instant.toISOString())).toEqual([
        "2026-10-24T00:00:00.000Z",
        "2026-10-25T00:00:00.000Z",
        "2026-10-26T01:00:00.000Z",
        "2026-10-27T01:00:00.000Z",
      ]);
      expect(instants.map((instant) => localTime(instant, "Europe/Paris"))).toEqual([
        "2026-10-24 02:00",
        "2026-10-25 02:00",
        "2026-10-26 02:00",
        "2026-10-27 02:00",
      ]);
    });

    it.each([
      ["just after the first 02:00, as Agenda's lastRunAt would be", "2026-10-25T00:00:00.500Z"],
      ["between the two 02:00s", "2026-10-25T00:30:00Z"],
      ["at the second 02:00 (CET)", "2026-10-25T01:00:00Z"],
    ])("Europe/Paris 2026-10-25, %s: the next fire is the 26th, never the second 02:00", (_when, after) => {
      expect(fires("0 2 * * *", after, "Europe/Paris", 1)).toEqual(["2026-10-26T01:00:00.000Z"]);
    });

    it("America/New_York 2026-03-08 (02:00 does not exist): fires once, at 03:00 EDT = 07:00Z", () => {
      const instants = nextFireTimes("0 2 * * *", new Date("2026-03-06T12:00:00Z"), "America/New_York", 4);
      expect(instants.map((instant) => instant.toISOString())).toEqual([
        "2026-03-07T07:00:00.000Z",
        "2026-03-08T07:00:00.000Z",
        "2026-03-09T06:00:00.000Z",
        "2026-03-10T06:00:00.000Z",
      ]);
      expect(instants.map((instant) => localTime(instant, "America/New_York"))).toEqual([
        "2026-03-07 02:00",
        "2026-03-08 03:00",
        "2026-03-09 02:00",
        "2026-03-10 02:00",
      ]);
    });

    it("America/New_York 2026-11-01 (01:00–02:00 happens twice, 02:00 once): fires once, at 02:00 EST = 07:00Z", () => {
      const instants = nextFireTimes("0 2 * * *", new Date("2026-10-30T12:00:00Z"), "America/New_York", 4);
      expect(instants.map((instant) => instant.toISOString())).toEqual([
        "2026-10-31T06:00:00.000Z",
        "2026-11-01T07:00:00.000Z",
        "2026-11-02T07:00:00.000Z",
        "2026-11-03T07:00:00.000Z",
      ]);
      expect(instants.map((instant) => localTime(instant, "America/New_York"))).toEqual([
        "2026-10-31 02:00",
        "2026-11-01 02:00",
        "2026-11-02 02:00",
        "2026-11-03 02:00",
      ]);
    });

    it("America/New_York 2026-11-01, a job at the repeated 01:00: fires once, at the first (EDT) = 05:00Z", () => {
      expect(fires("0 1 * * *", "2026-10-31T12:00:00Z", "America/New_York", 2)).toEqual([
        "2026-11-01T05:00:00.000Z",
        "2026-11-02T06:00:00.000Z",
      ]);
      expect(fires("0 1 * * *", "2026-11-01T05:30:00Z", "America/New_York", 1)).toEqual(["2026-11-02T06:00:00.000Z"]);
    });

    it.each(["Europe/Paris", "America/New_York", "Pacific/Auckland"])(
      "in %s through 2026: exactly one fire on each of the 365 local days",
      (timeZone) => {
        const instants = nextFireTimes("0 2 * * *", new Date("2026-01-01T12:00:00Z"), timeZone, 365);
        const localDates = instants.map((instant) => snapshotDateFor(instant, timeZone));
        expect(new Set(localDates).size).toBe(365);
        expect(localDates[0]).toBe("2026-01-02");
        expect(localDates[364]).toBe("2027-01-01");
      },
    );
  });
});

describe("cronProblem", () => {
  it.each(["0 2 * * *", "  0 2 * * *  ", "*/15 * * * *", "0 3 * * MON", "0 4 L * *", ...Object.values(DEFAULT_SCHEDULE)])(
    "%j is valid",
    (expression) => {
      expect(cronProblem(expression)).toBeNull();
    },
  );

  it.each([
    ["61 2 * * *", /range 0-59/],
    ["0 25 * * *", /range 0-23/],
    ["0 2 31 4 *", /day of month/],
    ["every day", /expected 5 fields .*got 2/],
    ["", /expected 5 fields .*got 0/],
    ["   ", /expected 5 fields .*got 0/],
    ["0 2 * *", /expected 5 fields .*got 4/],
    ["0 0 2 * * *", /expected 5 fields .*got 6/],
    ["@daily", /expected 5 fields .*got 1/],
    ["H 2 * * *", /hashed/],
  ])("%j is invalid: %s", (expression, reason) => {
    expect(cronProblem(expression)).toMatch(reason);
  });
});
