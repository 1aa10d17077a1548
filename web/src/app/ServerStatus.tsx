import { useServerUnreachable } from "./connectivity";

/** A banner while the server cannot be reached; the client retries on its own. */
export function ServerStatus() {
  const unreachable = useServerUnreachable();
  if (!unreachable) return null;
  return (
    <div className="server-status" role="alert">
      <strong>Can't reach the KPI server.</strong> Retrying… Your page will update once it answers.
    </div>
  );
}
