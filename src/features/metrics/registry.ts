/**
 * A small Prometheus registry (text exposition format 0.0.4): counters and histograms with labels, kept in
 * this process, plus collectors that read current values (gauges) at scrape time. No dependency: the format
 * is a few lines of text.
 */

export type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

/** Called twice per HTTP request: a plain string join (label values never contain the control separators). */
function labelKey(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = "";
  for (const name of names) key += `${name}\u0001${labels[name]}\u0002`;
  return key;
}

interface Metric {
  render(): string[];
}

function header(name: string, help: string, type: string): string[] {
  return [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`];
}

export class Counter implements Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    const cur = this.values.get(key);
    if (cur) cur.value += by;
    else this.values.set(key, { labels, value: by });
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels))?.value ?? 0;
  }

  render(): string[] {
    return [
      ...header(this.name, this.help, "counter"),
      ...[...this.values.values()].map(
        (v) => `${this.name}${formatLabels(v.labels)} ${formatValue(v.value)}`,
      ),
    ];
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  count(labels: Labels): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }

  render(): string[] {
    const out = header(this.name, this.help, "histogram");
    for (const s of this.series.values()) out.push(...histogramLines(this.name, s.labels, this.buckets, s));
    return out;
  }
}

/** The bucket/sum/count lines of one histogram series (`counts` are cumulative per bucket). */
function histogramLines(
  name: string,
  labels: Labels,
  buckets: readonly number[],
  s: { counts: number[]; sum: number; count: number },
): string[] {
  const out: string[] = [];
  buckets.forEach((le, i) => {
    out.push(`${name}_bucket${formatLabels({ ...labels, le: formatValue(le) })} ${s.counts[i]}`);
  });
  out.push(`${name}_bucket${formatLabels({ ...labels, le: "+Inf" })} ${s.count}`);
  out.push(`${name}_sum${formatLabels(labels)} ${formatValue(s.sum)}`);
  out.push(`${name}_count${formatLabels(labels)} ${s.count}`);
  return out;
}

/** Renders a family whose values are read at scrape time. */
export function gaugeFamily(
  name: string,
  help: string,
  samples: { labels: Labels; value: number }[],
): string[] {
  return [
    ...header(name, help, "gauge"),
    ...samples.map((s) => `${name}${formatLabels(s.labels)} ${formatValue(s.value)}`),
  ];
}

export function histogramFamily(
  name: string,
  help: string,
  buckets: readonly number[],
  series: { labels: Labels; counts: number[]; sum: number; count: number }[],
): string[] {
  return [
    ...header(name, help, "histogram"),
    ...series.flatMap((s) => histogramLines(name, s.labels, buckets, s)),
  ];
}

export class Registry {
  private readonly metrics: Metric[] = [];

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  private add<T extends Metric>(metric: T): T {
    this.metrics.push(metric);
    return metric;
  }

  render(): string[] {
    return this.metrics.flatMap((m) => m.render());
  }
}
