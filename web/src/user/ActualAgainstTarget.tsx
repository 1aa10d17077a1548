import type { TargetType } from "../gql/graphql";
import { formatNumber, formatPercent, formatValue } from "../ui/format";
import { TARGET_TYPE_LABEL } from "./words";

/** A KPI's value against its target, with the unit and which way is better: "31.42 hours of target 24 hours (lower is better)". */
export function ActualAgainstTarget(props: {
  actual: number | null | undefined;
  target: number;
  unit: string | null | undefined;
  targetType: TargetType;
}) {
  return (
    <p className="kpi-card-value">
      <span className="kpi-actual">{formatValue(props.actual, props.unit)}</span>{" "}
      <span className="muted">
        of target {formatValue(props.target, props.unit)} ({TARGET_TYPE_LABEL[props.targetType]})
      </span>
    </p>
  );
}

/** The achievement and weight facts every view of one assignment shows first. */
export function AchievementAndWeight({ achievement, weight }: { achievement: number | null | undefined; weight: number }) {
  return (
    <>
      <div>
        <dt>Achievement</dt>
        <dd>{formatPercent(achievement)}</dd>
      </div>
      <div>
        <dt>Weight</dt>
        <dd>{formatNumber(weight)} %</dd>
      </div>
    </>
  );
}
