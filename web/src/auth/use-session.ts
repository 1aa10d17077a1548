import { useEffect, useSyncExternalStore } from "react";
import { currentSession, endSession, onSessionChange, SESSION_KEY, type Session } from "./session";

/** The current session, re-rendering on sign-in, sign-out and expiry. */
export function useSession(): Session | null {
  const session = useSyncExternalStore(onSessionChange, currentSessionSnapshot);
  useEffect(() => {
    if (!session) return;
    // Expiry leads back to the sign-in page, never to a page of failing queries.
    const timer = setTimeout(
      () => endSession("Your session expired. Please sign in again."),
      Math.max(0, session.expiresAt - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [session]);
  return session;
}

// useSyncExternalStore needs a stable snapshot: the same object while the stored value is unchanged.
let lastRaw: string | null = null;
let lastSession: Session | null = null;
function currentSessionSnapshot(): Session | null {
  const raw = localStorage.getItem(SESSION_KEY);
  if (raw !== lastRaw) {
    lastRaw = raw;
    lastSession = currentSession();
  }
  if (lastSession && lastSession.expiresAt <= Date.now()) lastSession = null;
  return lastSession;
}
