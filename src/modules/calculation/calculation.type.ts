import { Field, Float, ObjectType, registerEnumType } from "type-graphql";
import { DateScalar, JSONScalar } from "../../graphql/scalars.js";
import type { CalculationOutcomeValue } from "./calculation.service.js";

export enum CalculationOutcome {
  VALUE = "value",
  UNDEFINED = "undefined",
  SKIPPED = "skipped",
  FAILED = "failed",
}
registerEnumType(CalculationOutcome, {
  name: "CalculationOutcome",
  valuesConfig: {
    VALUE: { description: "A value was calculated." },
    UNDEFINED: { description: "The data make the KPI meaningless for the period (no rows, a division by zero); not a failure." },
    SKIPPED: { description: "The KPI does not apply to the user (e.g. no account at the provider)." },
    FAILED: { description: "The calculation could not be done (bad SQL, a timeout, an unreachable API)." },
  },
});

@ObjectType({ description: "What a definition would give for a user and period, without storing anything." })
export class CalculationPreview {
  @Field(() => CalculationOutcome)
  outcome!: CalculationOutcomeValue;

  @Field(() => Float, { nullable: true })
  value!: number | null;

  @Field(() => String, { nullable: true, description: "Why there is no value (UNDEFINED, SKIPPED, FAILED)." })
  reason!: string | null;

  @Field(() => DateScalar)
  periodStart!: string;

  @Field(() => DateScalar)
  periodEnd!: string;

  @Field(() => JSONScalar, { description: "Provenance: source, query parameters, inputs, timings." })
  metadata!: Record<string, unknown>;
}
