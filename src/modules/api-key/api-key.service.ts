import type { Db } from "../../db/client.js";
import type { ApiKeyRow } from "../../db/schema/index.js";
import { generateApiKey } from "../../auth/api-key-token.js";
import { badInput, notFound } from "../../lib/errors.js";
import { appendAudit } from "../audit/audit.store.js";
import { apiKeysOfUser, findApiKey, insertApiKey, ownerOfApiKey, revokeApiKey } from "./api-key.store.js";

export class ApiKeyService {
  constructor(private readonly db: Db) {}

  /** Creates a key acting as `userId`; the token is returned once and never stored. */
  async create(userId: number, name: string): Promise<{ id: number; name: string; token: string }> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 100) throw badInput("name", "must be 1 to 100 characters");
    const key = generateApiKey();
    return this.db.transaction(async (tx) => {
      const row = await insertApiKey(tx, { userId, name: trimmed, prefix: key.prefix, keyHash: key.hash });
      await appendAudit(tx, {
        actorId: userId,
        action: "api_key.create",
        entityType: "api_key",
        entityId: row.id,
        after: { name: trimmed, prefix: key.prefix, userId },
      });
      return { id: row.id, name: trimmed, token: key.token };
    });
  }

  ownerOf(id: number): Promise<number | undefined> {
    return ownerOfApiKey(this.db, id);
  }

  listForUser(userId: number): Promise<ApiKeyRow[]> {
    return apiKeysOfUser(this.db, userId);
  }

  /** Revoking twice is harmless: the first revocation time stays. */
  async revoke(actorId: number, id: number): Promise<ApiKeyRow> {
    return this.db.transaction(async (tx) => {
      const revoked = await revokeApiKey(tx, id);
      if (revoked) {
        await appendAudit(tx, {
          actorId,
          action: "api_key.revoke",
          entityType: "api_key",
          entityId: id,
          after: { revokedAt: revoked.revokedAt },
        });
        return revoked;
      }
      const existing = await findApiKey(tx, id);
      if (!existing) throw notFound("ApiKey", id);
      return existing;
    });
  }
}
