/**
 * Promise.withResolvers (Node 22, ES2024) for PostGraphile 5 on Node 20. Only bench:peer's
 * PostGraphile process loads it (`--import`, before PostGraphile is imported); nothing else of
 * the project relies on it.
 */
function withResolvers<T>(this: PromiseConstructor) {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new this<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== "function")
  Object.defineProperty(Promise, "withResolvers", { value: withResolvers, writable: true, configurable: true });

export {};
