import { useMemo } from "react";
import { Chart } from "./Chart";

/** A small trend line of the last periods' values, oldest first. */
export function Sparkline({ values, label }: { values: Array<number | null>; label: string }) {
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 2, right: 2, top: 4, bottom: 4 },
      xAxis: { type: "category", show: false, data: values.map((_, i) => i) },
      yAxis: { type: "value", show: false, scale: true },
      series: [
        {
          type: "line",
          data: values,
          smooth: true,
          symbol: "none",
          lineStyle: { width: 2, color: "#1f4fd1" },
          connectNulls: true,
        },
      ],
    }),
    [values],
  );
  return <Chart option={option} label={label} height={40} />;
}
