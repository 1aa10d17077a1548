/**
 * ECharts with only what the dashboard draws: line and bar charts on a grid, with tooltips and
 * reference lines (targets). Imported per type so the bundle stays small; each chart's description
 * for screen readers is the aria-label of its container (Chart.tsx), not ECharts' own.
 */
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";

echarts.use([LineChart, BarChart, GridComponent, TooltipComponent, MarkLineComponent, SVGRenderer]);

export { echarts };
export type { EChartsCoreOption } from "echarts/core";
