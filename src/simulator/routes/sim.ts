/**
 * Simulator-only control routes under `/_sim` (they do not exist on real PVE; the real client never
 * calls them). JSON in and out, authenticated with the simulator's own credentials.
 */
import type { ServerResponse } from "node:http";
import { z } from "zod";
import { parseAcl } from "../acl.ts";
import { holdVzdumpLock } from "../backup.ts";
import type { Sim } from "../context.ts";
import { faultInputSchema } from "../faults.ts";
import { send } from "../reply.ts";
import { snapshotState } from "../state.ts";

const sshKeySchema = z.object({ public_key: z.string().min(1) });
const clockSchema = z.object({ advance_seconds: z.number() });
const aclSchema = z.object({ acl: z.record(z.string(), z.array(z.string())).nullable() });
const nodeSchema = z.object({
  online: z.boolean().optional(),
  /** pveproxy's view of the node: null = reachable; 595/596 = that pseudo status on every proxied call. */
  unreachable: z.union([z.literal(595), z.literal(596), z.null()]).optional(),
  reason: z.string().optional(),
  packages: z.record(z.string(), z.string()).optional(),
});
const haSchema = z.object({ vmid: z.number().int(), managed: z.boolean() });
const vzdumpLockSchema = z.object({ node: z.string(), seconds: z.number().positive() });
const vmSchema = z.object({
  vmid: z.number().int().min(100),
  node: z.string(),
  name: z.string().min(1),
  status: z.enum(["running", "stopped"]).optional(),
});
const UPDATE_OUTCOMES = ["succeed", "fail", "break"] as const;
const containerSchema = z.object({
  /** Made a template (what `pct template` does; its disk becomes a base volume). */
  template: z.boolean().optional(),
  /** A config lock someone else holds (backup, migrate, snapshot, …); null removes it. */
  lock: z.string().min(1).nullable().optional(),
  /** What a community helper script's install leaves inside: its service on `port` and /usr/bin/update. */
  helper_app: z
    .object({ slug: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/), port: z.number().int().min(1).max(65535) })
    .optional(),
  /** What the next run of /usr/bin/update does. */
  next_update: z.enum(UPDATE_OUTCOMES).optional(),
});

/**
 * The line install.func writes into /usr/bin/update (no shebang, so it is run with `bash /usr/bin/update`):
 * fetch the app's `ct/<slug>.sh` again and run it, which inside a container runs its update_script.
 */
export function helperUpdateLine(slug: string): string {
  return `set -a; [ -f /etc/profile.d/90-http-proxy.sh ] && . /etc/profile.d/90-http-proxy.sh; set +a; bash -c "$(curl -fsSL https://raw.githubusercontent.com/community-scripts/ProxmoxVE/main/ct/${slug}.sh)"\n`;
}

/** POST /_sim/containers/{vmid}: things done to a container outside the API (see containerSchema). */
function changeContainer(sim: Sim, vmid: number, input: z.infer<typeof containerSchema>): string | undefined {
  const ct = sim.cluster.containers.get(vmid);
  if (!ct) return `no CT ${vmid}`;
  if (input.template !== undefined) {
    if (input.template) ct.config.template = 1;
    else delete ct.config.template;
  }
  if (input.lock === null) delete ct.config.lock;
  else if (input.lock) ct.config.lock = input.lock;
  if (input.helper_app) {
    const { slug, port } = input.helper_app;
    const g = ct.guest;
    g.packages.add("bash");
    g.packages.add("curl");
    g.files.set("/usr/bin/update", { data: new TextEncoder().encode(helperUpdateLine(slug)), mode: 0o755 });
    g.files.set(`/opt/${slug}_version.txt`, { data: new TextEncoder().encode("1.0.0\n"), mode: 0o644 });
    g.helperApp = { slug, port, version: 1, serving: true, nextUpdate: "succeed" };
  }
  if (input.next_update) {
    if (!ct.guest.helperApp) return `CT ${vmid} has no helper-script app`;
    ct.guest.helperApp.nextUpdate = input.next_update;
  }
  return undefined;
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

export function handleSimRoute(sim: Sim, method: string, path: string, body: Buffer, res: ServerResponse) {
  const json = parseJson(body);
  const bad = (message: string) => send(res, 400, "Bad Request", { data: null, message: `${message}\n` });
  const route = `${method} ${path}`;
  switch (route) {
    case "GET /_sim/state":
      return send(res, 200, "OK", { data: snapshotState(sim) });
    case "GET /_sim/faults":
      return send(res, 200, "OK", { data: sim.faults.list() });
    case "POST /_sim/faults": {
      const parsed = faultInputSchema.safeParse(json);
      if (!parsed.success) return bad(parsed.error.message);
      const fault = sim.faults.add(parsed.data);
      if (fault.action === "lose_container" && fault.path === "*") {
        // Immediate loss: the container vanishes as if deleted behind PVE's back.
        for (const ct of [...sim.cluster.containers.values()]) {
          if (fault.vmid === undefined || ct.vmid === fault.vmid) sim.cluster.destroy(ct);
        }
        sim.faults.clearOne(fault.id);
      }
      return send(res, 200, "OK", { data: { id: fault.id } });
    }
    case "DELETE /_sim/faults":
      sim.faults.clear();
      return send(res, 200, "OK", { data: null });
    case "POST /_sim/ssh-keys": {
      const parsed = sshKeySchema.safeParse(json);
      if (!parsed.success) return bad(parsed.error.message);
      sim.authorizedKeys.add(parsed.data.public_key.trim());
      return send(res, 200, "OK", { data: null });
    }
    case "POST /_sim/clock": {
      const parsed = clockSchema.safeParse(json);
      if (!parsed.success) return bad(parsed.error.message);
      sim.clock.advance(parsed.data.advance_seconds);
      return send(res, 200, "OK", { data: { now: sim.clock.now() } });
    }
    case "POST /_sim/acl": {
      // The token's ACL (privilege separation); null gives it every privilege again.
      const parsed = aclSchema.safeParse(json);
      if (!parsed.success) return bad(parsed.error.message);
      try {
        if (parsed.data.acl === null) delete sim.tokenAcl;
        else sim.tokenAcl = parseAcl(parsed.data.acl, sim.pve.major);
      } catch (e) {
        return bad((e as Error).message);
      }
      return send(res, 200, "OK", { data: null });
    }
    case "POST /_sim/ha": {
      const parsed = haSchema.safeParse(json);
      if (!parsed.success) return bad(parsed.error.message);
      const ct = sim.cluster.containers.get(parsed.data.vmid);
      if (!ct) return bad(`no CT ${parsed.data.vmid}`);
      ct.haManaged = parsed.data.managed;
      return send(res, 200, "OK", { data: null });
    }
    case "POST /_sim/vzdump-lock": {
      // Another backup (e.g. the nightly datacenter job) holds the node's vzdump lock for a while.
      const parsed = vzdumpLockSchema.safeParse(json);
      if (!parsed.success) return bad(parsed.error.message);
      if (!sim.cluster.nodes.has(parsed.data.node)) return bad(`no node ${parsed.data.node}`);
      const upid = holdVzdumpLock(sim, parsed.data.node, parsed.data.seconds);
      return send(res, 200, "OK", { data: { upid } });
    }
    case "POST /_sim/vms": {
      const parsed = vmSchema.safeParse(json);
      if (!parsed.success) return bad(parsed.error.message);
      const { vmid, node, name, status } = parsed.data;
      if (!sim.cluster.nodes.has(node)) return bad(`no node ${node}`);
      if (sim.cluster.vmidUsed(vmid)) return bad(`VMID ${vmid} is taken`);
      sim.cluster.vms.set(vmid, { vmid, node, name, status: status ?? "running" });
      return send(res, 200, "OK", { data: null });
    }
    default: {
      const ctRoute = /^POST \/_sim\/containers\/(\d+)$/.exec(route);
      if (ctRoute) {
        const parsed = containerSchema.safeParse(json);
        if (!parsed.success) return bad(parsed.error.message);
        const problem = changeContainer(sim, Number(ctRoute[1]), parsed.data);
        if (problem) return bad(problem);
        return send(res, 200, "OK", { data: null });
      }
      const nodeRoute = /^POST \/_sim\/nodes\/([a-z0-9-]+)$/.exec(route);
      if (nodeRoute) {
        const node = sim.cluster.nodes.get(nodeRoute[1]!);
        if (!node) return bad(`no node ${nodeRoute[1]}`);
        const parsed = nodeSchema.safeParse(json);
        if (!parsed.success) return bad(parsed.error.message);
        const { online, unreachable, reason, packages } = parsed.data;
        if (node.index === 1 && (online === false || unreachable))
          return bad("pve1 serves the API: it cannot be offline or unreachable from itself");
        if (online !== undefined) node.online = online;
        if (unreachable === null) delete node.unreachable;
        else if (unreachable) {
          node.unreachable = {
            status: unreachable,
            reason: reason ?? (unreachable === 595 ? "No route to host" : "Connection timed out"),
          };
        }
        if (packages) Object.assign(node.packages, packages);
        return send(res, 200, "OK", { data: null });
      }
      return send(res, 404, "Not Found", { data: null, message: `no simulator route '${route}'\n` });
    }
  }
}
