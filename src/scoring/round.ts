/** Rounds to two decimals, as scores and achievements are stored (numeric(5,2)) and shown. */
export const round2 = (value: number): number => Math.round(value * 100) / 100;
