import pg from "pg";

export interface SourceConnection {
  name: string;
  pool: pg.Pool;
  /** On the server's own database, queries run as kpi_source_reader over the kpi_source schema only. */
  restricted: boolean;
}

/**
 * The databases QUERY definitions may read: `default` is the server's own (restricted to the
 * kpi_source schema), and each SOURCE_DB_<NAME>_URL adds a connection `<name>`, opened on first use.
 */
export class SourceConnections {
  private readonly opened = new Map<string, SourceConnection>();

  constructor(
    defaultPool: pg.Pool,
    private readonly urls: Readonly<Record<string, string>>,
    private readonly poolMax = 5,
  ) {
    // SOURCE_DB_DEFAULT_URL replaces the server's own pool with a login role of its own (README).
    if (!urls.default) this.opened.set("default", { name: "default", pool: defaultPool, restricted: true });
  }

  names(): string[] {
    return [...new Set(["default", ...Object.keys(this.urls)])];
  }

  get(name: string): SourceConnection | undefined {
    const open = this.opened.get(name);
    if (open) return open;
    const url = this.urls[name];
    if (!url) return undefined;
    const pool = new pg.Pool({ connectionString: url, max: this.poolMax, idleTimeoutMillis: 30_000 });
    pool.on("error", () => undefined);
    const connection = { name, pool, restricted: false };
    this.opened.set(name, connection);
    return connection;
  }

  /** Closes the pools this registry opened (not the server's own). */
  async close(): Promise<void> {
    await Promise.all([...this.opened.values()].filter((c) => c.name !== "default").map((c) => c.pool.end()));
  }
}
