/**
 * A strict parser of the Prometheus text exposition format (0.0.4) for tests: every sample belongs to a
 * family declared by # TYPE, names and labels are well-formed, values are numbers, histogram buckets are
 * cumulative and end with +Inf equal to _count.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** Sum of the samples of `name` whose labels include `match`. */
  value(name: string, match?: Record<string, string>): number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!m) throw new Error(`bad label at ${JSON.stringify(text.slice(i))}`);
    i += m[0].length;
    let value = "";
    while (text[i] !== '"') {
      if (i >= text.length) throw new Error(`unterminated label value in ${text}`);
      if (text[i] === "\\") {
        const next = text[i + 1];
        value += next === "n" ? "\n" : next;
        i += 2;
      } else value += text[i++];
    }
    i++;
    out[m[1]!] = value;
    if (text[i] === ",") i++;
  }
  return out;
}

function parseValue(v: string): number {
  if (v === "+Inf") return Number.POSITIVE_INFINITY;
  if (v === "-Inf") return Number.NEGATIVE_INFINITY;
  if (v === "NaN") return Number.NaN;
  const n = Number(v);
  if (Number.isNaN(n)) throw new Error(`bad value ${v}`);
  return n;
}

export function parsePrometheus(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) {
      const name = line.slice(7).split(" ")[0]!;
      if (!NAME.test(name)) throw new Error(`bad HELP name ${name}`);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [name, type] = line.slice(7).split(" ");
      if (!NAME.test(name!) || !["counter", "gauge", "histogram", "summary", "untyped"].includes(type!))
        throw new Error(`bad TYPE line ${line}`);
      if (types.has(name!)) throw new Error(`family ${name} declared twice`);
      types.set(name!, type!);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`bad sample line ${JSON.stringify(line)}`);
    const name = m[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count|total)$/, "");
    if (!types.has(family) && !types.has(name)) throw new Error(`sample ${name} has no # TYPE`);
    samples.push({ name, labels: m[3] ? parseLabels(m[3]) : {}, value: parseValue(m[4]!) });
  }
  // Histograms: cumulative buckets, +Inf == _count.
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      let prev = -1;
      for (const b of buckets) {
        if (b.value < prev) throw new Error(`${family}${key} buckets are not cumulative`);
        prev = b.value;
      }
      const inf = buckets.find((b) => b.labels.le === "+Inf");
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(s.labels) === key);
      if (!inf || !count || inf.value !== count.value)
        throw new Error(`${family}${key}: +Inf bucket != _count`);
    }
  }
  return {
    types,
    samples,
    value: (name, match = {}) =>
      samples
        .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
        .reduce((n, s) => n + s.value, 0),
  };
}
