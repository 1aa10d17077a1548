import { useSyncExternalStore } from "react";

/**
 * Whether the server answers: set by the GraphQL client when a request cannot reach it (it keeps
 * retrying with backoff) and cleared by the next answer, so every page can say so instead of
 * waiting silently.
 */
let unreachable = false;
const listeners = new Set<() => void>();

export function setServerUnreachable(value: boolean): void {
  if (value === unreachable) return;
  unreachable = value;
  for (const listener of listeners) listener();
}

export function useServerUnreachable(): boolean {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => unreachable,
  );
}
