/**
 * curl to an exposed app's HTTPS name at the managed proxy's address (`--resolve`, so no DNS is needed),
 * trusting only the given CA: how the access tests reach an app as a browser on the LAN would.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface HttpsName {
  /** The app's HTTPS name (vault.home.example.test). */
  name: string;
  /** The proxy's address. */
  ip: string;
  /** The only CA trusted (PEM file). */
  ca: string;
}

/** curl https://<name><path> with `args` before the URL; its stdout (a non-zero exit throws). */
export async function curlName(
  to: HttpsName,
  path: string,
  args: string[] = [],
  maxTimeS = 10,
): Promise<string> {
  const { stdout } = await run("curl", [
    "-sS",
    "--max-time",
    String(maxTimeS),
    "--resolve",
    `${to.name}:443:${to.ip}`,
    "--cacert",
    to.ca,
    ...args,
    `https://${to.name}${path}`,
  ]);
  return stdout;
}
