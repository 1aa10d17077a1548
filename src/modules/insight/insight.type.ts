import { Extensions, Field, Float, Int, ObjectType, registerEnumType } from "type-graphql";
import { TREND_PERIODS } from "../../scoring/forecast.js";
import { DateScalar } from "../../graphql/scalars.js";

export enum ForecastMethod {
  LINEAR_PROJECTION = "linear_projection",
  LEAST_SQUARES_TREND = "least_squares_trend",
  LAST_VALUE = "last_value",
}
registerEnumType(ForecastMethod, {
  name: "ForecastMethod",
  valuesConfig: {
    LINEAR_PROJECTION: { description: "Additive KPIs: the period-to-date value scaled to the whole period." },
    LEAST_SQUARES_TREND: {
      description: "Averages and rates: the least-squares line through the last periods, read at this one.",
    },
    LAST_VALUE: { description: "Averages and rates with one earlier period only: its value carries on." },
  },
});

@ObjectType({ description: "A period's value the trend line was fitted on." })
export class ForecastPoint {
  @Field(() => Int, { description: "Periods before the forecast period: -1 is the previous one." })
  offset!: number;

  @Field(() => DateScalar)
  periodStart!: string;

  @Field(() => Float)
  value!: number;
}

@ObjectType({ description: "Where the current, unfinished period is heading, with the method and the inputs behind it." })
export class KpiForecast {
  @Field(() => DateScalar)
  periodStart!: string;

  @Field(() => DateScalar)
  periodEnd!: string;

  @Field(() => ForecastMethod)
  method!: ForecastMethod;

  @Field(() => Float, { nullable: true, description: "The value expected at period end; null when there is nothing to go on." })
  projectedValue!: number | null;

  @Field(() => Float, { nullable: true, description: "The achievement of the projected value against today's target." })
  projectedAchievement!: number | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "Projected achievement at least 100 % (an EXACT target: at least 95 %, within 5 % of it).",
  })
  onTrack!: boolean | null;

  @Field(() => String, { description: "The forecast in one sentence, for people." })
  explanation!: string;

  @Field(() => Float, { nullable: true, description: "LINEAR_PROJECTION: the period-to-date value." })
  valueToDate!: number | null;

  @Field(() => Float, { nullable: true, description: "LINEAR_PROJECTION: days of the period the value covers." })
  elapsedDays!: number | null;

  @Field(() => Int)
  periodDays!: number;

  @Field(() => [ForecastPoint], { description: "Trend methods: the periods fitted, nearest first." })
  @Extensions({ listSize: TREND_PERIODS })
  points!: ForecastPoint[];

  @Field(() => Float, { nullable: true, description: "LEAST_SQUARES_TREND: change per period." })
  slope!: number | null;

  @Field(() => Float, { nullable: true, description: "LEAST_SQUARES_TREND: the line's value at this period (= projectedValue)." })
  intercept!: number | null;
}

@ObjectType({ description: "An earlier period, and how the compared period differs from it." })
export class PeriodComparison {
  @Field(() => DateScalar)
  periodStart!: string;

  @Field(() => DateScalar)
  periodEnd!: string;

  @Field(() => Float, { nullable: true, description: "The earlier period's value; null when it has none." })
  actualValue!: number | null;

  @Field(() => Float, { nullable: true })
  achievementPercentage!: number | null;

  @Field(() => Float, { nullable: true, description: "Compared value minus this one." })
  valueChange!: number | null;

  @Field(() => Float, { nullable: true, description: "valueChange as a percentage of this period's value (its size)." })
  valueChangePercent!: number | null;

  @Field(() => Float, { nullable: true, description: "Compared achievement minus this one, in percentage points." })
  achievementChange!: number | null;
}

@ObjectType({ description: "The latest measured period against the ones before it and the same period last year." })
export class KpiComparison {
  @Field(() => DateScalar)
  periodStart!: string;

  @Field(() => DateScalar)
  periodEnd!: string;

  @Field(() => Float, { nullable: true })
  actualValue!: number | null;

  @Field(() => Float, { nullable: true })
  achievementPercentage!: number | null;

  @Field(() => [PeriodComparison], { description: "The `periods` periods just before, nearest first." })
  // Sized by comparison(periods), usually 1 to 3; the cost of a larger request is still bounded by MAX_COMPARED_PERIODS.
  @Extensions({ listSize: 3 })
  previous!: PeriodComparison[];

  @Field(() => PeriodComparison)
  samePeriodLastYear!: PeriodComparison;
}

@ObjectType({ description: "A team's average overall score in one period, for charts." })
export class TeamTrendPoint {
  @Field(() => DateScalar)
  periodStart!: string;

  @Field(() => DateScalar)
  periodEnd!: string;

  @Field(() => Float, {
    nullable: true,
    description: "Average over the current members of each one's latest snapshot in the period; null when none has one.",
  })
  averageOverallScore!: number | null;

  @Field(() => Int)
  membersWithScore!: number;
}
