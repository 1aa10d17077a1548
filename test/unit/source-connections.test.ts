import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { SourceConnections } from "../../src/engine/query/source-connections.js";

const serverPool = new pg.Pool({ connectionString: "postgresql://kpi@127.0.0.1:1/kpi" });
let registry: SourceConnections | undefined;
afterEach(() => registry?.close());

describe("SourceConnections", () => {
  it("serves `default` from the server's pool, restricted to kpi_source_reader", () => {
    registry = new SourceConnections(serverPool, { warehouse: "postgresql://reader@127.0.0.1:1/dw" });
    expect(registry.get("default")).toMatchObject({ pool: serverPool, restricted: true });
    expect(registry.get("warehouse")).toMatchObject({ name: "warehouse", restricted: false });
    expect(registry.get("warehouse")!.pool).not.toBe(serverPool);
    expect(registry.get("nope")).toBeUndefined();
    expect(registry.names()).toEqual(["default", "warehouse"]);
  });

  it("lets SOURCE_DB_DEFAULT_URL give `default` a login role of its own", () => {
    registry = new SourceConnections(serverPool, { default: "postgresql://kpi_source_reader@127.0.0.1:1/kpi" });
    const connection = registry.get("default")!;
    expect(connection.pool).not.toBe(serverPool);
    expect(connection.restricted).toBe(false);
    expect(registry.names()).toEqual(["default"]);
  });
});
