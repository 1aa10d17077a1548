import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MAX_HOOK_USERS, parseHookBody } from "../../src/hooks/recalculate-request.js";
import { sign, signatureMatches } from "../../src/lib/signature.js";

const SECRET = "a-secret-of-some-length-0123456789";

describe("signatureMatches", () => {
  const body = Buffer.from('{"userIds":[1]}');
  const sha1 = (data: Buffer, secret = SECRET) => `sha1=${createHmac("sha1", secret).update(data).digest("hex")}`;

  it("accepts the SHA-256 header, in either hex case", () => {
    expect(signatureMatches(body, { "x-hub-signature-256": sign(body, SECRET) }, SECRET)).toBe(true);
    expect(
      signatureMatches(body, { "x-hub-signature-256": sign(body, SECRET).toUpperCase().replace("SHA256", "sha256") }, SECRET),
    ).toBe(true);
  });

  it("accepts Intercom's SHA-1 header", () => {
    expect(signatureMatches(body, { "x-hub-signature": sha1(body) }, SECRET)).toBe(true);
  });

  it("refuses another body, another secret, a truncated digest, no header and junk", () => {
    const refused = [
      { "x-hub-signature-256": sign(Buffer.from('{"userIds":[2]}'), SECRET) },
      { "x-hub-signature-256": sign(body, `${SECRET}x`) },
      { "x-hub-signature-256": sign(body, SECRET).slice(0, -2) },
      { "x-hub-signature-256": sign(body, SECRET).replace("sha256=", "sha1=") },
      { "x-hub-signature": sha1(body, "wrong-secret-0123456789") },
      { "x-hub-signature-256": "sha256=" },
      { "x-hub-signature-256": "nonsense" },
      {},
    ];
    for (const headers of refused) expect(signatureMatches(body, headers, SECRET), JSON.stringify(headers)).toBe(false);
  });

  it("judges by SHA-256 when both headers are sent, so a weaker valid SHA-1 cannot rescue a bad SHA-256", () => {
    expect(signatureMatches(body, { "x-hub-signature-256": "sha256=00", "x-hub-signature": sha1(body) }, SECRET)).toBe(false);
  });
});

describe("parseHookBody", () => {
  it("reads users by id and by external account, with a definition and a period", () => {
    expect(
      parseHookBody({
        userIds: [3, "4", 3],
        externalIds: [{ provider: "intercom", externalId: 814860 }],
        kpiDefinitionId: "7",
        periodContaining: "2026-10-15",
      }),
    ).toEqual({
      kind: "recalculate",
      request: {
        userIds: [3, 4],
        externalIds: [{ provider: "intercom", externalId: "814860" }],
        kpiDefinitionId: 7,
        periodContaining: "2026-10-15",
      },
    });
  });

  it("reads an Intercom conversation notification as its assigned admin", () => {
    const notification = {
      type: "notification_event",
      topic: "conversation.admin.closed",
      data: { item: { type: "conversation", admin_assignee_id: 991 } },
    };
    expect(parseHookBody(notification)).toEqual({
      kind: "recalculate",
      request: { userIds: [], externalIds: [{ provider: "intercom", externalId: "991" }] },
    });
  });

  it("ignores Intercom notifications that name nobody", () => {
    for (const body of [
      { type: "notification_event", topic: "ping", data: { item: { type: "ping" } } },
      { type: "notification_event", topic: "contact.created", data: { item: { type: "contact", id: "1" } } },
      { type: "notification_event", topic: "conversation.user.created", data: { item: { admin_assignee_id: null } } },
      { type: "notification_event", topic: "conversation.user.created", data: { item: { admin_assignee_id: 0 } } },
    ]) {
      expect(parseHookBody(body).kind, JSON.stringify(body)).toBe("ignored");
    }
  });

  it("refuses every malformed body with a message naming the field", () => {
    const cases: [unknown, RegExp][] = [
      [null, /JSON object/],
      [[1], /JSON object/],
      [{}, /at least one user/],
      [{ userIds: [] }, /at least one user/],
      [{ userIds: "1" }, /userIds must be an array/],
      [{ userIds: [0] }, /userIds\[0\]/],
      [{ userIds: [1.5] }, /userIds\[0\]/],
      [{ userIds: [1, "x"] }, /userIds\[1\]/],
      [{ userIds: [2_147_483_648] }, /userIds\[0\]/],
      [{ externalIds: {} }, /externalIds must be an array/],
      [{ externalIds: [{ provider: "Intercom!", externalId: "1" }] }, /externalIds\[0\]\.provider/],
      [{ externalIds: [{ provider: "intercom" }] }, /externalIds\[0\]\.externalId/],
      [{ externalIds: [{ provider: "intercom", externalId: "" }] }, /externalIds\[0\]\.externalId/],
      [{ userIds: [1], kpiDefinitionId: "x" }, /kpiDefinitionId/],
      [{ userIds: [1], periodContaining: "2026-13-01" }, /periodContaining/],
      [{ userIds: [1], periodContaining: 20261001 }, /periodContaining/],
      [{ userIds: Array.from({ length: MAX_HOOK_USERS + 1 }, (_, i) => i + 1) }, /at most 1000/],
    ];
    for (const [body, message] of cases) {
      const parsed = parseHookBody(body);
      expect(parsed.kind, JSON.stringify(body).slice(0, 60)).toBe("invalid");
      expect(parsed.kind === "invalid" && parsed.message).toMatch(message);
    }
  });
});
