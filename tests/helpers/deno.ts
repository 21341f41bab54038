/**
 * The deno executable that the `deno` devDependency installs. node_modules/.bin/deno is a Node launcher
 * that does not pass signals on (stopping it would leave Deno running), so tests run Deno itself.
 */
import { resolve } from "node:path";

let cached: Promise<string> | undefined;

export function denoExecutable(): Promise<string> {
  cached ??= (async () => {
    // Run the launcher with Bun itself: no Node.js needed.
    const launcher = resolve("node_modules/.bin/deno");
    const proc = Bun.spawn([process.execPath, launcher, "eval", "console.log(Deno.execPath())"], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const path = (await new Response(proc.stdout).text()).trim();
    if ((await proc.exited) !== 0 || !path) throw new Error("the deno devDependency is not installed");
    return path;
  })();
  return cached;
}
