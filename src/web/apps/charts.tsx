/** An app's usage: small inline SVG line charts of CPU, memory and network (PVE's rrddata), no script. */
import type { FC } from "hono/jsx";
import type { Application } from "../../db/schema.ts";

export interface Series {
  label: string;
  unit: (v: number) => string;
  points: { time: number; a: number | null; b?: number | null }[];
  legend?: [string, string];
}

/** A small inline SVG line chart (one or two series), no script needed. */
export const Chart: FC<{ series: Series }> = ({ series }) => {
  const W = 320;
  const H = 120;
  const pad = { l: 58, r: 6, t: 8, b: 18 };
  const pts = series.points;
  const values = pts.flatMap((p) => [p.a, p.b ?? null]).filter((v): v is number => v !== null);
  const max = Math.max(1e-9, ...values);
  const t0 = pts[0]?.time ?? 0;
  const t1 = pts.at(-1)?.time ?? 1;
  const x = (t: number) => pad.l + ((t - t0) / Math.max(1, t1 - t0)) * (W - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - v / max) * (H - pad.t - pad.b);
  const path = (key: "a" | "b") => {
    let d = "";
    let pen = false;
    for (const p of pts) {
      const v = p[key];
      if (v === null || v === undefined) {
        pen = false;
        continue;
      }
      // A segment starts with a zero-length stroke: with round caps a lone sample (a container created a
      // minute ago) shows as a dot instead of nothing.
      d += pen
        ? `L${x(p.time).toFixed(1)},${y(v).toFixed(1)}`
        : `M${x(p.time).toFixed(1)},${y(v).toFixed(1)}l0,0`;
      pen = true;
    }
    return d;
  };
  const last = pts.at(-1);
  return (
    <figure>
      <svg
        class="chart"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${series.label}, peak ${series.unit(max)}`}
      >
        <line class="axis" x1={pad.l} y1={H - pad.b} x2={W - pad.r} y2={H - pad.b} />
        <line class="axis" x1={pad.l} y1={pad.t} x2={pad.l} y2={H - pad.b} />
        <text x={pad.l - 4} y={pad.t + 8} text-anchor="end">
          {series.unit(max)}
        </text>
        <text x={pad.l - 4} y={H - pad.b} text-anchor="end">
          0
        </text>
        <text x={pad.l} y={H - 4}>
          {new Date(t0 * 1000).toISOString().slice(11, 16)}
        </text>
        <text x={W - pad.r} y={H - 4} text-anchor="end">
          {new Date(t1 * 1000).toISOString().slice(11, 16)} UTC
        </text>
        <path class="line" d={path("a")} />
        {series.legend ? <path class="line2" d={path("b")} /> : null}
      </svg>
      <figcaption>
        {series.label}
        {last && last.a !== null ? ` — now ${series.unit(last.a)}` : ""}
        {series.legend ? (
          <span class="legend">
            <i class="used" />
            {series.legend[0]}
            <i class="reserved" />
            {series.legend[1]}
          </span>
        ) : null}
      </figcaption>
    </figure>
  );
};

export const ChartsSection: FC<{ app: Application }> = ({ app }) => (
  <section id="charts">
    <h2>Usage</h2>
    {app.vmid === null ? (
      <p class="muted">Charts appear once the app has a container.</p>
    ) : (
      <>
        <div class="actions-row">
          {(["hour", "day"] as const).map((timeframe) => (
            <button
              type="button"
              class="secondary small"
              hx-get={`/apps/${app.id}/charts?timeframe=${timeframe}`}
              hx-target="#chart-area"
            >
              Last {timeframe}
            </button>
          ))}
        </div>
        <div id="chart-area" hx-get={`/apps/${app.id}/charts?timeframe=hour`} hx-trigger="load">
          <p class="muted">Loading charts…</p>
        </div>
      </>
    )}
  </section>
);

/** The usage charts of one timeframe: CPU, memory, network (PVE's rrddata). */
export const UsageCharts: FC<{
  timeframe: "hour" | "day";
  series: {
    time: number;
    cpu: number | null;
    mem: number | null;
    netin: number | null;
    netout: number | null;
  }[];
}> = ({ timeframe, series }) => {
  if (series.length === 0)
    return <p class="muted">No usage recorded: the container is new or was just removed.</p>;
  const pct = (v: number) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
  const mib = (v: number) => `${(v / 1024 ** 2).toFixed(0)} MiB`;
  const kbs = (v: number) => `${(v / 1024).toFixed(v < 10240 ? 1 : 0)} KiB/s`;
  return (
    <div class="charts">
      <Chart
        series={{
          label: `CPU (${timeframe})`,
          unit: pct,
          points: series.map((p) => ({ time: p.time, a: p.cpu })),
        }}
      />
      <Chart
        series={{
          label: `Memory (${timeframe})`,
          unit: mib,
          points: series.map((p) => ({ time: p.time, a: p.mem })),
        }}
      />
      <Chart
        series={{
          label: `Network (${timeframe})`,
          unit: kbs,
          points: series.map((p) => ({ time: p.time, a: p.netin, b: p.netout })),
          legend: ["in", "out"],
        }}
      />
    </div>
  );
};
