import { lazy, Suspense, type ComponentProps } from "react";
import type { Chart as EagerChart } from "../ui/Chart";
import type { Sparkline as EagerSparkline } from "../ui/Sparkline";

/**
 * The shared Chart and Sparkline, with ECharts loaded in its own chunk after the page's first
 * render: the sign-in page and the first paint of a dashboard don't wait for it. Until it arrives,
 * a box of the chart's size holds its place and already carries its description.
 */
const LoadedSparkline = lazy(() => import("../ui/Sparkline").then((m) => ({ default: m.Sparkline })));
const LoadedChart = lazy(() => import("../ui/Chart").then((m) => ({ default: m.Chart })));

export function Sparkline(props: ComponentProps<typeof EagerSparkline>) {
  return (
    <Suspense fallback={<div className="chart" role="img" aria-label={props.label} style={{ height: 40 }} />}>
      <LoadedSparkline {...props} />
    </Suspense>
  );
}

export function Chart(props: ComponentProps<typeof EagerChart>) {
  return (
    <Suspense fallback={<div className="chart" role="img" aria-label={props.label} style={{ height: props.height ?? 240 }} />}>
      <LoadedChart {...props} />
    </Suspense>
  );
}
