/** The Prometheus text format of the metrics registry. */
import { describe, expect, test } from "bun:test";
import { gaugeFamily, Registry } from "../../../src/features/metrics/registry.ts";
import { parsePrometheus } from "../../helpers/prometheus.ts";

describe("metrics registry", () => {
  test("counters, histograms and gauges render as valid exposition text", () => {
    const r = new Registry();
    const c = r.counter("x_requests_total", "Requests\nwith a newline in help");
    const h = r.histogram("x_duration_seconds", "Durations", [0.1, 1, 10]);
    c.inc({ route: "/apps/{app_id}", status: "200" });
    c.inc({ route: "/apps/{app_id}", status: "200" });
    c.inc({ route: 'we"ird\\path\n', status: "500" }, 3);
    h.observe({ kind: "a" }, 0.05);
    h.observe({ kind: "a" }, 5);
    h.observe({ kind: "a" }, 50);
    const text = `${[...r.render(), ...gaugeFamily("x_apps", "Apps", [{ labels: { status: "running" }, value: 2 }])].join("\n")}\n`;
    const p = parsePrometheus(text);
    expect(p.types.get("x_requests_total")).toBe("counter");
    expect(p.types.get("x_duration_seconds")).toBe("histogram");
    expect(p.value("x_requests_total", { route: "/apps/{app_id}" })).toBe(2);
    expect(p.value("x_requests_total", { route: 'we"ird\\path\n' })).toBe(3);
    expect(p.value("x_duration_seconds_bucket", { kind: "a", le: "0.1" })).toBe(1);
    expect(p.value("x_duration_seconds_bucket", { kind: "a", le: "10" })).toBe(2);
    expect(p.value("x_duration_seconds_bucket", { kind: "a", le: "+Inf" })).toBe(3);
    expect(p.value("x_duration_seconds_sum", { kind: "a" })).toBeCloseTo(55.05);
    expect(p.value("x_apps", { status: "running" })).toBe(2);
  });

  test("the parser rejects malformed text (so the endpoint tests mean something)", () => {
    expect(() => parsePrometheus("x 1")).toThrow();
    expect(() => parsePrometheus("x 1\n")).toThrow(/no # TYPE/);
    expect(() => parsePrometheus("# TYPE x counter\nx{a=b} 1\n")).toThrow();
    expect(() => parsePrometheus("# TYPE x counter\nx one\n")).toThrow();
    expect(() =>
      parsePrometheus('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'),
    ).toThrow(/cumulative/);
  });
});
