import type { Db } from "../../db/client.js";
import { listAudit } from "./audit.store.js";

export class AuditService {
  constructor(private readonly db: Db) {}

  list(filter: { entityType?: string; entityId?: string; limit: number }) {
    return listAudit(this.db, filter);
  }
}
