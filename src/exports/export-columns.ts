import type { MeasurementExportRow } from "./measurement-pages.js";

/** A row of a team export: the measurement row with the team it was exported for. */
export type ExportRow = MeasurementExportRow & { team_id?: number; team_name?: string };

/**
 * How a column is written: `text` is quoted in CSV and escaped against formula injection; `date` is
 * a calendar day ("YYYY-MM-DD"); `instant` a timestamp (ISO 8601 in UTC in CSV).
 */
export type ColumnKind = "integer" | "number" | "text" | "date" | "instant";

export interface ExportColumn {
  name: keyof ExportRow;
  kind: ColumnKind;
}

const column = (name: keyof ExportRow, kind: ColumnKind): ExportColumn => ({ name, kind });

/** The columns of both exports, in order (the README lists them; so do the tests). */
const MEASUREMENT_COLUMNS: readonly ExportColumn[] = [
  column("user_id", "integer"),
  column("user_name", "text"),
  column("user_email", "text"),
  column("user_kpi_id", "integer"),
  column("kpi_definition_id", "integer"),
  column("kpi_name", "text"),
  column("category", "text"),
  column("unit", "text"),
  column("aggregation_period", "text"),
  column("period_start", "date"),
  column("period_end", "date"),
  column("actual_value", "number"),
  column("target_value", "number"),
  column("achievement_percentage", "number"),
  column("weight", "number"),
  column("calculated_at", "instant"),
  column("notes", "text"),
];

export const USER_EXPORT_COLUMNS: readonly ExportColumn[] = MEASUREMENT_COLUMNS;

export const TEAM_EXPORT_COLUMNS: readonly ExportColumn[] = [
  column("team_id", "integer"),
  column("team_name", "text"),
  ...MEASUREMENT_COLUMNS,
];
