import { createClient, type Client, type FormattedExecutionResult } from "graphql-ws";
import WebSocket from "ws";
import type { TestServer } from "./server.js";

/** How a subscription ended: the server completed it, or it failed (GraphQL errors, or the socket's CloseEvent). */
export type FeedEnd = { completed: true } | { error: unknown };

export interface Feed {
  /** Every result received, in order. */
  results: FormattedExecutionResult<Record<string, any>>[];
  /** Settles when the subscription ends from the server's side. */
  ended: Promise<FeedEnd>;
  /** Whether it has ended (for checks that it goes on). */
  isOpen(): boolean;
}

/**
 * graphql-ws clients (the `ws` package as the WebSocket) against test servers, each on a connection
 * of its own; `closeAll` disposes of them between tests.
 */
export class SubscriptionClients {
  private readonly clients: Client[] = [];

  /** Opens a connection with `connectionParams` (by default the token as `authorization: "Bearer …"`) and subscribes. */
  subscribe(
    server: TestServer,
    token: string | null,
    query: string,
    variables: Record<string, unknown>,
    connectionParams: Record<string, unknown> = token ? { authorization: `Bearer ${token}` } : {},
  ): Feed {
    const client = createClient({
      url: server.graphqlUrl.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams,
      // A refused connection must fail the test's subscription, not be retried.
      retryAttempts: 0,
    });
    this.clients.push(client);
    const results: Feed["results"] = [];
    let open = true;
    const ended = new Promise<FeedEnd>((resolve) => {
      client.subscribe(
        { query, variables },
        {
          next: (result) => void results.push(result as Feed["results"][number]),
          complete: () => resolve({ completed: true }),
          error: (error) => resolve({ error }),
        },
      );
    }).finally(() => (open = false));
    return { results, ended, isOpen: () => open };
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      this.clients.splice(0).map(async (client) => {
        await client.dispose();
      }),
    );
  }
}
