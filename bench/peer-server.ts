/**
 * bench:peer's peer server: PostGraphile 5 (Amber preset, node-postgres adaptor) over the `public`
 * schema of PEER_DATABASE_URL, on a free port of 127.0.0.1, forked by bench/peer.ts after
 * bench/peer-polyfill.ts (Promise.withResolvers on Node 20). As in production: no GraphiQL, no
 * watch mode, no explain, no subscriptions, no query logging. No authentication either: every
 * request runs on the one pool, of PEER_POOL_MAX connections, as the database's owner.
 *
 * It imports nothing of the project, so that its RSS is PostGraphile's own. IPC: sends
 * `{ graphqlUrl }` once the schema is built and it listens; answers "statements" with
 * `{ statements }`, the SQL statements its pool's clients have run so far; any other message stops it.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const pool = new pg.Pool({ connectionString: process.env.PEER_DATABASE_URL, max: Number(process.env.PEER_POOL_MAX ?? 10) });

// Every statement goes through a client's query (the pool's, introspection's): one increment each.
let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  return Reflect.apply(query, this, args);
} as typeof query;

const preset: GraphileConfig.Preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ pool, schemas: ["public"], pubsub: false })],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false, websockets: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
await pgl.getSchema(); // introspection and schema build before the first request, not during it
const serv = pgl.createServ(grafserv);
const server = createServer();
await serv.addTo(server, false);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await pgl.release(); // and the grafserv instance with it
  await pool.end();
  process.exit(0); // a clean exit writes the --cpu-prof profile
}

process.on("message", (message) => {
  if (message === "statements") process.send!({ statements });
  else void stop();
});
process.on("disconnect", () => void stop()); // the parent died: never linger
const { port } = server.address() as AddressInfo;
process.send!({ graphqlUrl: `http://127.0.0.1:${port}/graphql` });
