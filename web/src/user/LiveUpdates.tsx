import { useEffect, useRef, useState } from "react";
import { useSubscription } from "urql";
import { graphql } from "../gql";

const MeasurementRecordedSubscription = graphql(`
  subscription UserMeasurementRecorded($userId: ID!) {
    measurementRecorded(userId: $userId) {
      id
    }
  }
`);

const timeFormat = new Intl.DateTimeFormat("en", { timeStyle: "short" });

/**
 * Follows the measurements stored for a person (measurementRecorded) and calls `refresh` on each
 * one, so an open page shows a new value without a reload. Paused while `userId` is unknown.
 * Returns the note to show in a live region ("Updated just now"), empty before the first update.
 */
export function useLiveMeasurements(userId: string | undefined, refresh: () => void): string {
  const [result] = useSubscription(
    { query: MeasurementRecordedSubscription, variables: { userId: userId ?? "" }, pause: !userId },
    // Counts the events: each new count is one measurement stored.
    (count: number | undefined) => (count ?? 0) + 1,
  );
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const [now, setNow] = useState(() => Date.now());

  const events = result.data ?? 0;
  useEffect(() => {
    if (events === 0) return;
    refreshRef.current();
    setUpdatedAt(new Date());
    setNow(Date.now());
  }, [events]);

  // "just now" for a minute, then the time it happened.
  useEffect(() => {
    if (!updatedAt) return;
    const timer = setTimeout(() => setNow(Date.now()), 60_000);
    return () => clearTimeout(timer);
  }, [updatedAt]);

  if (!updatedAt) return "";
  return now - updatedAt.getTime() < 60_000 ? "Updated just now" : `Updated at ${timeFormat.format(updatedAt)}`;
}

/** The small note a screen reader announces when the page's figures change under it. */
export function LiveNote({ note }: { note: string }) {
  return (
    <p className="live-note" role="status" aria-live="polite">
      {note}
    </p>
  );
}
