import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Line colours of the series, told apart in light and dark; failures get the warm ones. */
const SUCCESS_COLOURS = ['#1f77b4', '#2ca02c', '#17becf', '#9467bd', '#7f7f7f'];
const FAILURE_COLOURS = ['#d62728', '#ff7f0e', '#e377c2', '#bcbd22', '#8c564b'];
const HEIGHT = 260;
const DAY_MS = 86_400_000;

export interface ChartSeries {
  label: string;
  failure: boolean;
  values: number[];
}

/** Events over time, one line per location and outcome; redrawn at the width of its box. */
export function EventsChart({ times, series, title }: { times: number[]; series: ChartSeries[]; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let ok = 0;
    let bad = 0;
    // The canvas takes no CSS: the text colour of the theme (light or dark) is read and handed over.
    const text = getComputedStyle(el).color;
    const grid = { stroke: 'rgba(128,128,128,0.25)' };
    const spanDays = times.length > 1 ? (times[times.length - 1]! - times[0]!) / DAY_MS : 0;
    // UTC on a 24-hour clock, as every time the page shows; the date too when the range spans days.
    const tick = (s: number) =>
      new Date(s * 1000)
        .toISOString()
        .slice(spanDays >= 1 ? 5 : 11, 16)
        .replace('T', ' ');
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 280),
      height: HEIGHT,
      scales: { x: { time: true } },
      axes: [
        { stroke: text, grid, values: (_u, splits) => splits.map(tick) },
        { stroke: text, grid },
      ],
      series: [
        { label: 'time (UTC)', value: (_u, v) => (v === null ? '' : new Date(v * 1000).toISOString().slice(0, 16).replace('T', ' ')) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.failure ? FAILURE_COLOURS[bad++ % FAILURE_COLOURS.length] : SUCCESS_COLOURS[ok++ % SUCCESS_COLOURS.length],
          width: 2,
          points: { show: times.length < 40 },
        })),
      ],
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    };
    const plot = new uPlot(opts, [times.map((t) => t / 1000), ...series.map((s) => s.values)], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 280), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series]);
  return <div class="chart" ref={box} role="img" aria-label={title} />;
}
