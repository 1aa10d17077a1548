import { describe, expect, it } from "vitest";
import { packPayloads } from "../../src/live/pg-notify-event-target.js";

/** How live events are packed into NOTIFY payloads (PostgreSQL refuses 8000 bytes or more). */
describe("packPayloads", () => {
  const event = (userId: number, userKpiId: number) =>
    JSON.stringify([`measurementRecorded:${userId}`, { userKpiId, periodStart: "2025-05-01", periodEnd: "2025-06-01" }]);

  it("packs a batch's events into as few payloads under the limit as they fit, in order", () => {
    const events = Array.from({ length: 500 }, (_, i) => event(1000 + (i % 50), 100_000 + i));
    const { payloads, oversized } = packPayloads(events);
    expect(oversized).toEqual([]);
    expect(payloads).toHaveLength(7); // 77 events of about 100 bytes each
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    expect(payloads.flatMap((payload) => JSON.parse(payload).map((entry: unknown) => JSON.stringify(entry)))).toEqual(events);
  });

  it("counts bytes, not characters", () => {
    const wide = Array.from({ length: 10 }, (_, i) => JSON.stringify(["topic:1", { note: "é".repeat(300), i }]));
    const { payloads } = packPayloads(wide, 1_000);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(1_000);
    expect(payloads.length).toBeGreaterThan(5);
  });

  it("sets apart an event too large for any payload, and sends the others", () => {
    const huge = JSON.stringify(["topic:1", "x".repeat(8_000)]);
    const { payloads, oversized } = packPayloads([event(1, 1), huge, event(2, 2)]);
    expect(oversized).toEqual([huge]);
    expect(payloads).toEqual([`[${event(1, 1)},${event(2, 2)}]`]);
  });

  it("sends nothing for no events", () => {
    expect(packPayloads([])).toEqual({ payloads: [], oversized: [] });
  });
});
