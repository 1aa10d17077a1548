/**
 * The signed-in session: a bearer token from demo sign-in or OpenID Connect, kept in localStorage
 * so that every tab of the dashboard shares it. Nothing else about the user is stored here: the
 * dashboard asks the API (`me`) like any client.
 */
export interface Session {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  via: "demo" | "oidc";
}

/** Where the session is stored; use-session.ts watches the same entry. */
export const SESSION_KEY = "kpi.session";
/** Why the last session ended, shown once on the sign-in page. */
const ENDED_KEY = "kpi.session.ended";

type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

export function currentSession(): Session | null {
  try {
    const session = JSON.parse(localStorage.getItem(SESSION_KEY) ?? "null") as Session | null;
    if (!session || typeof session.token !== "string" || typeof session.expiresAt !== "number") return null;
    return session.expiresAt > Date.now() ? session : null;
  } catch {
    return null;
  }
}

export function startSession(session: Session): void {
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  sessionStorage.removeItem(ENDED_KEY);
  notify(session);
}

/** Ends the session; `reason` is shown on the sign-in page ("Your session expired"). */
export function endSession(reason?: string): void {
  const had = localStorage.getItem(SESSION_KEY) !== null;
  localStorage.removeItem(SESSION_KEY);
  if (reason && had) sessionStorage.setItem(ENDED_KEY, reason);
  notify(null);
}

/** The reason the last session ended, once. */
export function takeEndReason(): string | null {
  const reason = sessionStorage.getItem(ENDED_KEY);
  sessionStorage.removeItem(ENDED_KEY);
  return reason;
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(session: Session | null): void {
  for (const listener of listeners) listener(session);
}

// Another tab signed in or out.
window.addEventListener("storage", (event) => {
  if (event.key === SESSION_KEY) notify(currentSession());
});
