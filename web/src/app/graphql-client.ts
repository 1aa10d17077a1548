import { retryExchange } from "@urql/exchange-retry";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from "urql";
import { endSession, type Session } from "../auth/session";
import { setServerUnreachable } from "./connectivity";

/**
 * One urql client per session: the bearer token goes on every request, as any API client sends it,
 * and subscriptions travel over graphql-ws on the same /graphql path with the token in
 * connectionParams. A refused credential ends the session (back to the sign-in page); a server
 * that cannot be reached is retried with backoff while the page says so.
 */
export function createGraphQLClient(session: Session | null): { client: Client; dispose: () => void } {
  const authorization = session ? `Bearer ${session.token}` : undefined;
  let ws: WsClient | null = null;
  const socket = () => {
    ws ??= createWsClient({
      url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`,
      connectionParams: authorization ? { authorization } : undefined,
      lazy: true,
      retryAttempts: Infinity,
      // A closed socket (server restart, network) reconnects after 1, 2, 4 … up to 30 s.
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1000 * 2 ** retries))),
      shouldRetry: () => true,
      on: {
        closed: (event) => {
          // 4401: the server refused the credential at connection_init.
          if ((event as CloseEvent | undefined)?.code === 4401) endSession("Your session expired. Please sign in again.");
        },
      },
    });
    return ws;
  };

  const client = new Client({
    url: "/graphql",
    preferGetMethod: false,
    fetchOptions: (): RequestInit => ({ headers: authorization ? { authorization } : {} }),
    exchanges: [
      mapExchange({
        onResult(result) {
          if (!result.error?.networkError) setServerUnreachable(false);
        },
        onError(error) {
          const refused = error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED");
          if (refused && session) endSession("Your session expired. Please sign in again.");
        },
      }),
      cacheExchange,
      retryExchange({
        initialDelayMs: 1000,
        maxDelayMs: 15_000,
        maxNumberAttempts: Infinity,
        randomDelay: true,
        // Only a server that could not be reached (or answered 5xx): a refusal or bad input is an answer.
        retryIf: (error, operation) => {
          const retry = operation.kind === "query" && Boolean(error.networkError);
          if (retry) setServerUnreachable(true);
          return retry;
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? "" };
          return {
            subscribe(sink) {
              const unsubscribe = socket().subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, dispose: () => void ws?.dispose() };
}
