import { describe, expect, it } from "vitest";
import { apiKeyMatches, apiKeyPrefix, generateApiKey, hashApiKey, isApiKey } from "../../src/auth/api-key-token.js";

describe("API key tokens", () => {
  it("generates recognisable tokens whose prefix can be read back", () => {
    const key = generateApiKey();
    expect(isApiKey(key.token)).toBe(true);
    expect(apiKeyPrefix(key.token)).toBe(key.prefix);
    expect(key.hash).toBe(hashApiKey(key.token));
    expect(key.hash).not.toContain(key.token.split("_").pop());
  });

  it("generates a different token every time", () => {
    const tokens = new Set(Array.from({ length: 50 }, () => generateApiKey().token));
    expect(tokens.size).toBe(50);
  });

  it("matches only the exact token", () => {
    const key = generateApiKey();
    expect(apiKeyMatches(key.token, key.hash)).toBe(true);
    expect(apiKeyMatches(`${key.token.slice(0, -1)}A`, key.hash)).toBe(key.token.endsWith("A"));
    expect(apiKeyMatches(key.token, "00")).toBe(false);
  });

  it("reads no prefix from malformed tokens", () => {
    expect(apiKeyPrefix("kpik_short_x")).toBeUndefined();
    expect(apiKeyPrefix("eyJhbGciOiJIUzI1NiJ9.e30.x")).toBeUndefined();
  });
});
