import { useEffect, useRef } from "react";
import { echarts, type EChartsCoreOption } from "./echarts";

/**
 * One ECharts chart. `label` describes it for screen readers (the chart is an image to them); the
 * figures it shows are also on the page as text.
 */
export function Chart({ option, label, height = 240 }: { option: EChartsCoreOption; label: string; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<ReturnType<typeof echarts.init> | null>(null);

  useEffect(() => {
    const element = ref.current!;
    const instance = echarts.init(element, undefined, { renderer: "svg" });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(element);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return <div ref={ref} className="chart" role="img" aria-label={label} style={{ height }} />;
}
