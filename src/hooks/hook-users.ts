import type pg from "pg";
import type { RecalculateRequest } from "./recalculate-request.js";

export interface HookUsers {
  /** Active users the request names, by id or by an account in a source. */
  userIds: number[];
  /** What named nobody (unknown or deactivated), echoed back so that the caller can fix its mapping. */
  unmatched: { userIds: number[]; externalIds: RecalculateRequest["externalIds"] };
}

export async function resolveHookUsers(pool: pg.Pool, request: RecalculateRequest): Promise<HookUsers> {
  const { rows } = await pool.query<{ userId: number; viaId: number | null; provider: string | null; externalId: string | null }>(
    `SELECT u.id AS "userId", u.id AS "viaId", NULL AS provider, NULL AS "externalId"
     FROM users u WHERE u.id = ANY($1::int[]) AND u.is_active
     UNION ALL
     SELECT e.user_id, NULL, e.provider, e.external_id
     FROM user_external_ids e
     JOIN unnest($2::text[], $3::text[]) AS named(provider, external_id)
       ON named.provider = e.provider AND named.external_id = e.external_id
     JOIN users u ON u.id = e.user_id AND u.is_active`,
    [request.userIds, request.externalIds.map((named) => named.provider), request.externalIds.map((named) => named.externalId)],
  );
  const foundIds = new Set(rows.flatMap((row) => (row.viaId === null ? [] : [row.viaId])));
  const foundAccounts = new Set(rows.flatMap((row) => (row.provider === null ? [] : [`${row.provider}\u0000${row.externalId}`])));
  return {
    userIds: [...new Set(rows.map((row) => row.userId))].sort((a, b) => a - b),
    unmatched: {
      userIds: request.userIds.filter((id) => !foundIds.has(id)),
      externalIds: request.externalIds.filter((named) => !foundAccounts.has(`${named.provider}\u0000${named.externalId}`)),
    },
  };
}
