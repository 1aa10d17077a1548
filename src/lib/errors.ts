/**
 * Domain errors with a stable code. Services throw these; graphql/format-error.ts maps them to
 * `extensions.code` and hides everything else. Nothing here knows about GraphQL.
 */
export type ErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "BAD_USER_INPUT" | "NOT_FOUND" | "CONFLICT" | "CALCULATION_FAILED";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const notFound = (entity: string, id: string | number) =>
  new AppError("NOT_FOUND", `${entity} ${id} does not exist`, { entity, id: String(id) });

export const badInput = (field: string, message: string) => new AppError("BAD_USER_INPUT", `${field}: ${message}`, { field });

export const conflict = (message: string, details?: Record<string, unknown>) => new AppError("CONFLICT", message, details);

export const forbidden = (message = "You are not allowed to do this") => new AppError("FORBIDDEN", message);

export const unauthenticated = (message = "Authentication required") => new AppError("UNAUTHENTICATED", message);

/** PostgreSQL's SQLSTATE for a unique violation, raised by concurrent writers that passed our checks. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pgError = (error as { cause?: unknown })?.cause ?? error;
  const { code, constraint: name } = (pgError ?? {}) as { code?: string; constraint?: string };
  return code === "23505" && (constraint === undefined || name === constraint);
}

/**
 * Runs a write and turns a unique violation of `constraint` (a concurrent writer, or a duplicate
 * our checks left to the database) into CONFLICT.
 */
export async function conflictOnUnique<T>(
  constraint: string,
  conflictError: () => AppError,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error, constraint)) throw conflictError();
    throw error;
  }
}

/** A trimmed, non-blank text input. */
export function requireText(value: string, field: string): string {
  const trimmed = value.trim();
  if (!trimmed) throw badInput(field, "must not be blank");
  return trimmed;
}

/** Parses a GraphQL ID of one of our integer keys. */
export function parseId(value: string | number, field = "id"): number {
  const id = asId(value);
  if (id === undefined) throw badInput(field, "is not a valid id");
  return id;
}

/** `value` as an id (a positive int4, given as a number or a string of digits); undefined when it is not one. */
export function asId(value: unknown): number | undefined {
  const id = typeof value === "number" ? value : typeof value === "string" && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647 ? id : undefined;
}
