import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from "@electric-sql/pglite-socket";

/** Frontend messages after which a client no longer needs the session, unless a transaction is open. */
const ENDS_EXCHANGE = new Set([
  "S".charCodeAt(0), // Sync: ends an extended-protocol exchange (Parse, Bind, Describe, Execute)
  "Q".charCodeAt(0), // simple Query
  "X".charCodeAt(0), // Terminate
  "p".charCodeAt(0), // password
  0, // the startup message has no type byte; its length's first byte is 0
]);

interface QueuedMessage {
  connection: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}

/**
 * Serialises many client connections onto PGlite's one session. pglite-socket's own queue lets
 * connections take turns message by message, so one client's Parse could be followed by another's
 * Bind ("unnamed prepared statement does not exist", a result delivered to the wrong client). Here
 * a connection keeps the session from its first message until its exchange ends (Sync or Query)
 * outside a transaction; inside a transaction, until the transaction ends.
 */
export class SessionQueue {
  private readonly waiting: QueuedMessage[] = [];
  private owner: number | undefined;
  private pumping = false;

  constructor(private readonly db: PGlite) {}

  // The shape PGLiteSocketHandler calls (its QueryQueueManager is not exported).
  enqueue(connection: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ connection, message, onData, resolve, reject });
      void this.pump();
    });
  }

  getQueueLength(): number {
    return this.waiting.length;
  }

  clearQueueForHandler(connection: number): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i]!.connection !== connection) continue;
      this.waiting.splice(i, 1)[0]!.reject(new Error("connection closed"));
    }
  }

  /** A connection that goes away gives the session back, rolling back what it left open. */
  async clearTransactionIfNeeded(connection: number): Promise<void> {
    if (this.owner !== connection) return;
    if (this.db.isInTransaction()) await this.db.exec("ROLLBACK");
    this.owner = undefined;
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let next = this.takeNext(); next; next = this.takeNext()) {
        try {
          let bytes = 0;
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(next!.message, {
              onRawData: (data) => {
                bytes += data.length;
                next!.onData(data);
              },
            }),
          );
          const done = ENDS_EXCHANGE.has(next.message[0]!) && !this.db.isInTransaction();
          this.owner = done ? undefined : next.connection;
          next.resolve(bytes);
        } catch (error) {
          this.owner = undefined;
          next.reject(error);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The owner's next message; while the owner has none queued yet, nobody else's. */
  private takeNext(): QueuedMessage | undefined {
    if (this.owner === undefined) return this.waiting.shift();
    const index = this.waiting.findIndex((queued) => queued.connection === this.owner);
    return index === -1 ? undefined : this.waiting.splice(index, 1)[0];
  }
}

/** A PostgreSQL wire-protocol server on 127.0.0.1 in front of one PGlite instance. */
export async function serveWireProtocol(db: PGlite): Promise<{ port: number; stop(): Promise<void> }> {
  await db.waitReady;
  const queue = new SessionQueue(db);
  const handlers = new Set<PGLiteSocketHandler>();
  const server: Server = createServer((socket: Socket) => {
    const handler = new PGLiteSocketHandler({
      queryQueue: queue as unknown as PGLiteSocketHandlerOptions["queryQueue"],
      closeOnDetach: true,
    });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener("close", forget);
    handler.addEventListener("error", forget);
    void handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("embedded database: no TCP address");
  return {
    port: address.port,
    async stop() {
      await Promise.all([...handlers].map((handler) => handler.detach(true)));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The connection string of the wire-protocol server on `port`. */
export function embeddedUrl(port: number): string {
  return `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
}
