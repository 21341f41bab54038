/**
 * The compiled binary for the tests that start it. CI builds it once (`.ci/run` sets PROXIMITY_BINARY);
 * a local run builds dist/proximity once per test process.
 */
import { resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");
let built: Promise<string> | undefined;

export function proximityBinary(): Promise<string> {
  const given = process.env.PROXIMITY_BINARY;
  if (given) return Promise.resolve(resolve(root, given));
  built ??= (async () => {
    const build = Bun.spawn(["bun", "scripts/build.ts"], { cwd: root, stdout: "pipe", stderr: "pipe" });
    if ((await build.exited) !== 0)
      throw new Error(`build failed: ${await new Response(build.stderr).text()}`);
    return resolve(root, "dist/proximity");
  })();
  return built;
}
