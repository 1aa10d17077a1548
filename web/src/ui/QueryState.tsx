import type { ReactNode } from "react";
import type { CombinedError } from "urql";
import { describeError } from "./errors";

/** The error as a person reads it, with the server's message. */
export function ErrorNotice({ error }: { error: CombinedError }) {
  const { title, message } = describeError(error);
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title}</strong>
      <p>{message}</p>
    </div>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      {label}
    </p>
  );
}

export function EmptyState({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/**
 * Loading, error and empty states for a query, so that no view shows a blank page: children render
 * only with data. Data kept from before an error (a refetch that failed) still shows, under the error.
 */
export function QueryState<T>(props: {
  result: { data?: T; fetching: boolean; error?: CombinedError };
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { data, fetching, error } = props.result;
  if (data === undefined || data === null) {
    if (error) return <ErrorNotice error={error} />;
    if (fetching) return <Loading />;
    return <Loading />;
  }
  if (props.isEmpty?.(data)) return <EmptyState>{props.empty}</EmptyState>;
  return (
    <>
      {error && <ErrorNotice error={error} />}
      {props.children(data)}
    </>
  );
}
