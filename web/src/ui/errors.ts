import type { CombinedError } from "urql";

/** What to tell a person about a failed operation: the server's own message, never a stack. */
export function describeError(error: CombinedError): { title: string; message: string; code?: string } {
  const first = error.graphQLErrors[0];
  if (first) {
    const code = typeof first.extensions?.code === "string" ? first.extensions.code : undefined;
    const title =
      code === "FORBIDDEN"
        ? "Not allowed"
        : code === "NOT_FOUND"
          ? "Not found"
          : code === "UNAUTHENTICATED"
            ? "Signed out"
            : code === "BAD_USER_INPUT"
              ? "Please check the input"
              : "Something went wrong";
    return { title, message: first.message, code };
  }
  return {
    title: "Can't reach the server",
    message: "The KPI server is not answering. Retrying…",
    code: "NETWORK",
  };
}

/**
 * Server validation errors by input field ("actualValue", "dataSource.formula"), from BAD_USER_INPUT
 * errors, each with its message only: the field name the server puts in front of it is where the
 * message is shown.
 */
export function fieldErrors(error: CombinedError | undefined): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const e of error?.graphQLErrors ?? []) {
    if (e.extensions?.code !== "BAD_USER_INPUT") continue;
    const field = typeof e.extensions.field === "string" ? e.extensions.field : /^([\w.]+):/.exec(e.message)?.[1];
    if (field) errors[field] = e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message;
  }
  return errors;
}
