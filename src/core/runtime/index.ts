/**
 * The runtime this process runs on, chosen once at start. Each implementation is loaded only on its own
 * runtime: Deno cannot parse Bun's `with { type: "file" }` asset imports.
 */
import type { Runtime } from "./types.ts";

export type {
  Argon2idCost,
  Fetcher,
  PgliteFiles,
  RunningServer,
  Runtime,
  ServeOptions,
  ServerEnv,
  TlsPolicy,
} from "./types.ts";

async function detect(): Promise<Runtime> {
  if ("Bun" in globalThis) return (await import("./bun.ts")).bunRuntime;
  if ("Deno" in globalThis) return (await import("./deno.ts")).denoRuntime;
  throw new Error("Proximity runs on Bun or on Deno 2 (docs/runtime.md)");
}

export const runtime: Runtime = await detect();
