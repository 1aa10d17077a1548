import { and, desc, eq, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { auditLog } from "../../db/schema/index.js";

export interface AuditRecord {
  actorId: number | null;
  action: string;
  entityType: string;
  entityId: string | number;
  before?: unknown;
  after?: unknown;
}

/** Appends to the audit log; callers pass their transaction so the entry commits with the change. */
export async function appendAudit(tx: DbOrTx, record: AuditRecord): Promise<void> {
  await tx.insert(auditLog).values({
    actorId: record.actorId,
    action: record.action,
    entityType: record.entityType,
    entityId: String(record.entityId),
    before: record.before ?? null,
    after: record.after ?? null,
  });
}

export async function listAudit(db: DbOrTx, filter: { entityType?: string; entityId?: string; limit: number }) {
  const conditions: SQL[] = [];
  if (filter.entityType) conditions.push(eq(auditLog.entityType, filter.entityType));
  if (filter.entityId) conditions.push(eq(auditLog.entityId, filter.entityId));
  return db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(filter.limit);
}
