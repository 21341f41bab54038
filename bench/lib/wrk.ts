/** Runs wrk (installed from Debian when missing) and parses requests/s and latency percentiles. */
import { spawnSync } from "bun";

export interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

export function ensureWrk(): void {
  if (spawnSync(["sh", "-c", "command -v wrk"]).exitCode === 0) return;
  console.log("wrk is missing: apt-get install -y wrk");
  const r = spawnSync(["apt-get", "install", "-y", "wrk"], { stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error("could not install wrk (run as root: apt-get install -y wrk)");
}

function toMs(value: string): number {
  const m = value.match(/^([\d.]+)(us|ms|s)$/);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}

export async function wrk(
  url: string,
  opts: { headers?: Record<string, string>; seconds?: number; connections?: number } = {},
): Promise<WrkResult> {
  const args = ["wrk", "-t1", `-c${opts.connections ?? 64}`, `-d${opts.seconds ?? 5}s`, "--latency"];
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push("-H", `${k}: ${v}`);
  args.push(url);
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1]);
  const p50 = out.match(/\s50%\s+([\d.]+\w+)/)?.[1];
  const p99 = out.match(/\s99%\s+([\d.]+\w+)/)?.[1];
  const non2xx = Number(out.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const errors = non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  if (!Number.isFinite(rps)) throw new Error(`wrk output not understood:\n${out}`);
  return { rps, p50ms: p50 ? toMs(p50) : Number.NaN, p99ms: p99 ? toMs(p99) : Number.NaN, errors };
}
