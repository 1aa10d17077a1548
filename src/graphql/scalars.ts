import { GraphQLScalarType } from "graphql";
import { DateTimeResolver, JSONResolver, LocalDateResolver } from "graphql-scalars";

/** Calendar dates as "YYYY-MM-DD" strings, kept as strings end to end (no time zone can shift them). */
export const DateScalar = new GraphQLScalarType({
  ...LocalDateResolver.toConfig(),
  name: "Date",
  description: 'A calendar date, "YYYY-MM-DD".',
});

export const DateTimeScalar = DateTimeResolver;
export const JSONScalar = JSONResolver;
