import { Repeater } from "@graphql-yoga/subscription";
import { createSourceEventStream, type ExecutionArgs, type ExecutionResult } from "graphql";

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof (value as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === "function";

/**
 * graphql-js's subscribe(), except in two ways. graphql-js executes every event with the context
 * of the subscription, which lives for hours: its loaders would cache rows for as long and its
 * permission answers (who manages whom) would never change. Here `executeEvent` executes each
 * event as a request of its own. And a result for which `isLast` holds (the viewer may no longer
 * see it) is sent and then ends the subscription.
 *
 * Subscribing itself (createSourceEventStream: the guarded `subscribe` of the field) runs with
 * `args.contextValue`; its errors come back as a result, as from graphql-js.
 */
export async function subscribeEventByEvent(
  args: ExecutionArgs,
  executeEvent: (event: unknown) => Promise<ExecutionResult>,
  isLast: (result: ExecutionResult) => boolean,
): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!isAsyncIterable(stream)) return stream;
  return new Repeater<ExecutionResult>(async (push, stop) => {
    const events = stream[Symbol.asyncIterator]();
    // The client leaving (complete, disconnect) ends the source too, which drops its listener.
    void stop.then(() => events.return?.());
    for (let next = await events.next(); !next.done; next = await events.next()) {
      const result = await executeEvent(next.value);
      await push(result);
      if (isLast(result)) break;
    }
    stop();
  });
}
