import { describe, expect, it } from "vitest";
import { isLaterSnapshot } from "../../src/graphql/response-cache.js";

describe("isLaterSnapshot (pg_current_snapshot text)", () => {
  it("orders by xmax, then by fewer transactions in progress", () => {
    expect(isLaterSnapshot("100:105:", "100:104:")).toBe(true);
    expect(isLaterSnapshot("100:104:", "100:105:")).toBe(false);
    expect(isLaterSnapshot("101:105:", "100:105:101,103")).toBe(true);
    expect(isLaterSnapshot("100:105:101,103", "101:105:")).toBe(false);
    expect(isLaterSnapshot("100:105:", "100:105:")).toBe(false);
    // Transaction ids beyond 2^53 (xid8) compare exactly.
    expect(isLaterSnapshot("9007199254740993:9007199254740995:", "9007199254740993:9007199254740994:")).toBe(true);
  });
});
