import { STATUS_LABEL, statusOf } from "./status";

const ICON = { "on-target": "✓", close: "≈", "off-target": "✕", "no-data": "–" } as const;

/** The status in words, with a symbol and a colour that only repeat it. */
export function StatusBadge({ achievement }: { achievement: number | null | undefined }) {
  const status = statusOf(achievement);
  return (
    <span className={`badge badge-${status}`}>
      <span aria-hidden="true">{ICON[status]}</span> {STATUS_LABEL[status]}
    </span>
  );
}
