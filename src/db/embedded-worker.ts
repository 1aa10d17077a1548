import { parentPort, workerData } from "node:worker_threads";
import { servePglite } from "./embedded-pglite.js";

/** What the embedded database's thread tells the thread that started it (embedded.ts). */
export type EmbeddedThreadMessage = { port: number } | { stopped: true } | { error: string };

// The embedded database's thread (embedded.ts starts it): PGlite runs PostgreSQL on the thread that
// calls it, and here that thread is not the server's. It serves until told to stop ("stop").
const parent = parentPort!;
const tell = (message: EmbeddedThreadMessage) => parent.postMessage(message);
const describe = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

try {
  const server = await servePglite((workerData as { pgdata: string }).pgdata);
  parent.once("message", () => {
    server.stop().then(
      () => tell({ stopped: true }),
      (error: unknown) => tell({ error: describe(error) }),
    );
    parent.unref();
  });
  tell({ port: server.port });
} catch (error) {
  tell({ error: describe(error) });
  parent.unref();
}
