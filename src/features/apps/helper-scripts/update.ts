/**
 * Running a helper script's `/usr/bin/update`, and the reasons it cannot run. The file has no shebang (the
 * scripts write one line of shell into it), so it is run with bash rather than exec'd. `PHS_SILENT=1` and
 * no terminal make the script update without asking (build.func's `start()`).
 */
import type { Application } from "../../../db/schema.ts";
import type { PctExecutor, ProxmoxClient } from "../../../proxmox/index.ts";

export const HELPER_UPDATE = ["env", "PHS_SILENT=1", "TERM=dumb", "bash", "/usr/bin/update"] as const;

/**
 * Why Update cannot run on this lxc app now, in words, or null. Read-only: the container's config, its
 * address, and `test -f /usr/bin/update` inside it.
 */
export async function scriptUpdateRefusal(
  app: Application,
  client: ProxmoxClient,
  ssh: PctExecutor,
): Promise<string | null> {
  if (app.node === null || app.vmid === null) return `The app has no container`;
  const config = await client.lxcConfig(app.node, app.vmid);
  if (!Object.keys(config).some((k) => /^net\d+$/.test(k)))
    return `CT ${app.vmid} has no network interface: /usr/bin/update downloads the helper script from GitHub, so it cannot run`;
  const ifaces = await client.lxcInterfaces(app.node, app.vmid).catch(() => null);
  const address = ifaces?.some((i) => i.name !== "lo" && i.inet && !i.inet.startsWith("127.0.0.1"));
  if (!address)
    return `CT ${app.vmid} has no network address: /usr/bin/update downloads the helper script from GitHub, so it cannot run`;
  const check = await ssh.pctExec(app.node, app.vmid, ["test", "-f", "/usr/bin/update"], {
    timeoutMs: 30_000,
  });
  if (check.exitCode !== 0)
    return `CT ${app.vmid} has no /usr/bin/update: it was not made by a community helper script (or the file was removed), so Proximity has no update to run; update the app the way it was installed`;
  return null;
}
