import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedServer } from "../../src/db/embedded.js";

/**
 * The embedded database's wire server (src/db/embedded-wire.ts) under concurrent connections, as
 * the API and a worker in one process use it. Runs on PGlite whatever DATABASE_URL says.
 */

let server: EmbeddedServer;
let pool: pg.Pool;

beforeAll(async () => {
  server = await startEmbeddedPostgres("memory://");
  pool = new pg.Pool({ connectionString: server.url, max: 10 });
  await pool.query("CREATE TABLE counters (id int PRIMARY KEY, value int NOT NULL)");
  await pool.query("INSERT INTO counters VALUES (1, 0)");
});

afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

describe("embedded database under concurrent connections", () => {
  it("keeps each connection's extended-protocol exchanges apart, beside transactions", async () => {
    const wrong: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, worker) => {
        for (let i = 0; i < 100; i++) {
          if (i % 10 === 0) {
            // A transaction holds the session across messages; the exchanges queued meanwhile must stay whole.
            const client = await pool.connect();
            try {
              await client.query("BEGIN");
              await client.query("SELECT $1::int AS v", [i]);
              await client.query("COMMIT");
            } finally {
              client.release();
            }
            continue;
          }
          // A different text per worker: each is parsed as its own unnamed statement.
          const { rows } = await pool.query<{ product: number; label: string }>(
            `SELECT $1::int * ${worker} AS product, $2::text AS label`,
            [i, `w${worker}-${i}`],
          );
          if (rows[0]!.product !== i * worker || rows[0]!.label !== `w${worker}-${i}`) wrong.push(`${worker}/${i}`);
        }
      }),
    );
    expect(wrong).toEqual([]);
  });

  it("gives a transaction the session until it ends, with other connections' work waiting", async () => {
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 20; i++) {
          const client = await pool.connect();
          try {
            await client.query("BEGIN");
            const { rows } = await client.query<{ value: number }>("SELECT value FROM counters WHERE id = $1", [1]);
            await client.query("UPDATE counters SET value = $1 WHERE id = $2", [rows[0]!.value + 1, 1]);
            await client.query("COMMIT");
          } finally {
            client.release();
          }
        }
      }),
    );
    // A lost update would show if two transactions had interleaved on the one session.
    const { rows } = await pool.query<{ value: number }>("SELECT value FROM counters WHERE id = 1");
    expect(rows[0]!.value).toBe(160);
  });

  it("keeps an error on one connection to that connection", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        i % 4 === 0 ? pool.query("SELECT 1 / $1::int AS v", [0]) : pool.query<{ v: number }>("SELECT $1::int AS v", [i]),
      ),
    );
    results.forEach((result, i) => {
      if (i % 4 === 0) {
        expect(result.status).toBe("rejected");
        expect((result as PromiseRejectedResult).reason.code).toBe("22012");
      } else {
        expect(result).toMatchObject({ status: "fulfilled", value: { rows: [{ v: i }] } });
      }
    });
  });

  it("rolls back and frees the session when a connection goes away inside a transaction", async () => {
    const leaving = new pg.Client({ connectionString: server.url });
    await leaving.connect();
    await leaving.query("BEGIN");
    await leaving.query("UPDATE counters SET value = -1 WHERE id = 1");
    const waiting = pool.query<{ value: number }>("SELECT value FROM counters WHERE id = 1");
    await leaving.end();
    const { rows } = await waiting;
    expect(rows[0]!.value).toBe(160);
  });
});
