import { describe, expect, it } from "vitest";
import { overallScore } from "../../src/scoring/overall-score.js";

const CAP = 150;

describe("overallScore", () => {
  it("is the weighted average of the achievements", () => {
    expect(
      overallScore(
        [
          { weight: 60, achievement: 100 },
          { weight: 40, achievement: 50 },
        ],
        CAP,
      ),
    ).toBe(80);
    expect(
      overallScore(
        [
          { weight: 50, achievement: 90 },
          { weight: 30, achievement: 120 },
          { weight: 20, achievement: 70 },
        ],
        CAP,
      ),
    ).toBe(95);
  });

  it("normalises weights that do not add up to 100", () => {
    expect(
      overallScore(
        [
          { weight: 3, achievement: 100 },
          { weight: 1, achievement: 60 },
        ],
        CAP,
      ),
    ).toBe(90);
    expect(overallScore([{ weight: 10, achievement: 72.5 }], CAP)).toBe(72.5);
  });

  it("ignores unmeasured KPIs: the weights of the measured ones are normalised among themselves", () => {
    const measured = [
      { weight: 60, achievement: 100 },
      { weight: 40, achievement: 50 },
    ];
    expect(overallScore([...measured, { weight: 100, achievement: null }], CAP)).toBe(80);
    expect(
      overallScore(
        [
          { weight: 50, achievement: null },
          { weight: 25, achievement: 40 },
        ],
        CAP,
      ),
    ).toBe(40);
  });

  it("ignores KPIs of weight 0", () => {
    expect(
      overallScore(
        [
          { weight: 0, achievement: 10 },
          { weight: 20, achievement: 90 },
        ],
        CAP,
      ),
    ).toBe(90);
    expect(overallScore([{ weight: 0, achievement: 10 }], CAP)).toBeNull();
  });

  it("is null when nothing is measured or there is nothing", () => {
    expect(
      overallScore(
        [
          { weight: 60, achievement: null },
          { weight: 40, achievement: null },
        ],
        CAP,
      ),
    ).toBeNull();
    expect(overallScore([], CAP)).toBeNull();
  });

  it("caps each achievement at the cap, and counts negatives as 0", () => {
    expect(overallScore([{ weight: 1, achievement: 400 }], CAP)).toBe(150);
    expect(
      overallScore(
        [
          { weight: 50, achievement: 400 },
          { weight: 50, achievement: 50 },
        ],
        CAP,
      ),
    ).toBe(100);
    // Another cap.
    expect(
      overallScore(
        [
          { weight: 50, achievement: 400 },
          { weight: 50, achievement: 50 },
        ],
        200,
      ),
    ).toBe(125);
    // Exactly the cap is kept.
    expect(overallScore([{ weight: 1, achievement: 150 }], CAP)).toBe(150);
    expect(
      overallScore(
        [
          { weight: 50, achievement: -40 },
          { weight: 50, achievement: 80 },
        ],
        CAP,
      ),
    ).toBe(40);
  });

  it("rounds to two decimals", () => {
    expect(
      overallScore(
        [
          { weight: 1, achievement: 100 },
          { weight: 2, achievement: 0 },
        ],
        CAP,
      ),
    ).toBe(33.33);
    expect(
      overallScore(
        [
          { weight: 2, achievement: 100 },
          { weight: 1, achievement: 0 },
        ],
        CAP,
      ),
    ).toBe(66.67);
    // 50.5 / 3 = 16.8333…
    expect(
      overallScore(
        [
          { weight: 1, achievement: 10 },
          { weight: 1, achievement: 20 },
          { weight: 1, achievement: 20.5 },
        ],
        CAP,
      ),
    ).toBe(16.83);
    // Decimal weights: (33.33 × 87.5 + 66.67 × 42.25) / 100 = 57.332…
    expect(
      overallScore(
        [
          { weight: 33.33, achievement: 87.5 },
          { weight: 66.67, achievement: 42.25 },
        ],
        CAP,
      ),
    ).toBe(57.33);
  });
});
