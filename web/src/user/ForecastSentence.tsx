import { getFragmentData, graphql, type FragmentType } from "../gql";

export const ForecastSentenceFragment = graphql(`
  fragment ForecastSentence_forecast on KpiForecast {
    explanation
    onTrack
  }
`);

/** Where the current period is heading, in words: "On track" / "Not on track" and the server's sentence. */
export function ForecastSentence(props: { forecast: FragmentType<typeof ForecastSentenceFragment> }) {
  const forecast = getFragmentData(ForecastSentenceFragment, props.forecast);
  return (
    <p className="forecast">
      {forecast.onTrack !== null && forecast.onTrack !== undefined && (
        <>
          <strong className={forecast.onTrack ? "forecast-on" : "forecast-off"}>
            <span aria-hidden="true">{forecast.onTrack ? "↗ " : "↘ "}</span>
            {forecast.onTrack ? "On track" : "Not on track"}
          </strong>
          {". "}
        </>
      )}
      <span>{forecast.explanation}</span>
    </p>
  );
}
