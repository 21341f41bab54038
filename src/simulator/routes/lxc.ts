/** /nodes/{node}/lxc/*. */

import { hasPriv } from "../acl.ts";
import type { Container, LxcConfig } from "../cluster.ts";
import { type Call, num, str } from "../context.ts";
import { fail } from "../errors.ts";
import {
  cloneLxc,
  createLxc,
  destroyLxc,
  migrateLxc,
  powerAction,
  resizeLxc,
  startLxc,
  updateConfig,
} from "../lxc.ts";
import { configForOutput, lxcStatus, netKeys, parseProps, rootfsSize } from "../lxc-config.ts";
import { moveVolume } from "../mountpoints.ts";
import { createSnapshot, deleteSnapshot, listSnapshots, rollbackSnapshot } from "../snapshots.ts";
import type { RouteTable } from "./types.ts";

const node = (c: Call) => str(c.p, "node")!;
const vmid = (c: Call) => num(c.p, "vmid")!;

/** `ip --json a` as get_interfaces reshapes it; null while the CT is stopped. */
function interfaces(c: Call): unknown {
  const ct = c.sim.cluster.container(node(c), vmid(c));
  if (ct.status !== "running") return null;
  const lo = {
    name: "lo",
    hwaddr: "00:00:00:00:00:00",
    "hardware-address": "00:00:00:00:00:00",
    inet: "127.0.0.1/8",
    inet6: "::1/128",
    "ip-addresses": [
      { "ip-address": "127.0.0.1", "ip-address-type": "inet", prefix: 8 },
      { "ip-address": "::1", "ip-address-type": "inet6", prefix: 128 },
    ],
  };
  const out: unknown[] = [lo];
  for (const key of netKeys(ct.config)) {
    const props = parseProps(String(ct.config[key]), "name");
    const name = props.get("name") ?? "eth0";
    const mac = (props.get("hwaddr") ?? "").toLowerCase();
    const [a, b, cc, d, e, f] = mac.split(":");
    // EUI-64 link-local address from the MAC, as the kernel assigns it.
    const flip = (Number.parseInt(a ?? "0", 16) ^ 2).toString(16).padStart(2, "0");
    const ll = `fe80::${flip}${b}:${cc}ff:fe${d}:${e}${f}`.replace(/:0+([0-9a-f])/g, ":$1");
    const addrs: { "ip-address": string; "ip-address-type": string; prefix: number }[] = [];
    const lease = ct.leases.get(name);
    const entry: Record<string, unknown> = { name, hwaddr: mac, "hardware-address": mac };
    if (lease) {
      const [ip, prefix] = lease.split("/");
      addrs.push({ "ip-address": ip!, "ip-address-type": "inet", prefix: Number(prefix) });
      entry.inet = lease;
    }
    addrs.push({ "ip-address": ll, "ip-address-type": "inet6", prefix: 64 });
    entry.inet6 = `${ll}/64`;
    entry["ip-addresses"] = addrs;
    out.push(entry);
  }
  return out;
}

/** ~70 points at the timeframe's resolution; points before the CT existed carry only `time`. */
function rrddata(c: Call): unknown[] {
  const ct = c.sim.cluster.container(node(c), vmid(c));
  const step = { hour: 60, day: 1800, week: 10800, month: 43200, year: 604800 }[str(c.p, "timeframe")!] ?? 60;
  const now = c.sim.clock.now();
  const end = Math.floor(now / step) * step;
  const s = lxcStatus(c.sim.cluster, ct);
  const out: unknown[] = [];
  for (let i = 69; i >= 0; i--) {
    const time = end - i * step;
    const existed = !ct.startedAt || time >= (ct.startedAt ?? 0) - step;
    if (!existed || ct.status !== "running") {
      out.push({ time });
      continue;
    }
    const jitter = 0.8 + ((time / step) % 7) / 20;
    out.push({
      time,
      cpu: Number(s.cpu) * jitter,
      maxcpu: s.cpus,
      mem: Number(s.mem) * jitter,
      maxmem: s.maxmem,
      disk: s.disk,
      maxdisk: rootfsSize(ct.config),
      netin: 900 * jitter,
      netout: 600 * jitter,
      diskread: 0,
      diskwrite: 2048 * jitter,
    });
  }
  return out;
}

/** PVE 9 adds pressure-stall (PSI) figures to the guest status; clients must tolerate new fields. */
function pressure(c: Call, ct: Container): Record<string, number> {
  if (c.sim.pve.major < 9) return {};
  const busy = ct.status === "running" ? 0.12 : 0;
  return {
    pressurecpusome: busy,
    pressureiosome: busy / 2,
    pressureiofull: busy / 4,
    pressurememorysome: 0,
    pressurememoryfull: 0,
  };
}

export const lxcRoutes: RouteTable = {
  "GET /nodes/{node}/lxc": (c) => {
    const n = node(c);
    c.sim.cluster.node(n);
    return (
      [...c.sim.cluster.containers.values()]
        .filter((ct) => ct.node === n)
        // Only CTs the caller may audit are listed.
        .filter((ct) => hasPriv(c, `/vms/${ct.vmid}`, ["VM.Audit"]))
        .map((ct) => lxcStatus(c.sim.cluster, ct))
    );
  },
  "POST /nodes/{node}/lxc": (c) => createLxc(c, node(c)),
  "DELETE /nodes/{node}/lxc/{vmid}": (c) => destroyLxc(c, node(c), vmid(c)),

  "GET /nodes/{node}/lxc/{vmid}/status/current": (c) => {
    const ct = c.sim.cluster.container(node(c), vmid(c));
    return {
      ...lxcStatus(c.sim.cluster, ct),
      ...pressure(c, ct),
      ha: ct.haManaged
        ? {
            managed: 1,
            state: ct.status === "running" ? "started" : "stopped",
            group: "",
            max_restart: 1,
            max_relocate: 1,
          }
        : { managed: 0 },
    };
  },
  "POST /nodes/{node}/lxc/{vmid}/status/start": (c) => startLxc(c, node(c), vmid(c)),
  "POST /nodes/{node}/lxc/{vmid}/status/stop": (c) => powerAction(c, node(c), vmid(c), "stop"),
  "POST /nodes/{node}/lxc/{vmid}/status/shutdown": (c) => powerAction(c, node(c), vmid(c), "shutdown"),
  "POST /nodes/{node}/lxc/{vmid}/status/reboot": (c) => powerAction(c, node(c), vmid(c), "reboot"),

  "GET /nodes/{node}/lxc/{vmid}/config": (c) => {
    const ct = c.sim.cluster.container(node(c), vmid(c));
    const snapname = str(c.p, "snapshot");
    let config: LxcConfig;
    if (snapname) {
      const snap = ct.snapshots.find((s) => s.name === snapname);
      if (!snap) fail(`snapshot '${snapname}' does not exist`);
      config = snap.config;
    } else {
      // Without `current`, PVE shows pending values (keys that wait for the next start).
      config = c.p.current === true ? ct.config : { ...ct.config, ...ct.pending };
    }
    // The environment may hold secrets: only callers who may change options see it (PVE 9).
    if (config.env !== undefined && !hasPriv(c, `/vms/${ct.vmid}`, ["VM.Config.Options"])) {
      const { env: _env, ...rest } = config;
      config = rest;
    }
    return configForOutput(config);
  },
  "PUT /nodes/{node}/lxc/{vmid}/config": (c) => updateConfig(c, node(c), vmid(c)),
  "PUT /nodes/{node}/lxc/{vmid}/resize": (c) => resizeLxc(c, node(c), vmid(c)),
  "POST /nodes/{node}/lxc/{vmid}/clone": (c) => cloneLxc(c, node(c), vmid(c)),
  "POST /nodes/{node}/lxc/{vmid}/move_volume": (c) => moveVolume(c, node(c), vmid(c)),
  "POST /nodes/{node}/lxc/{vmid}/migrate": (c) => migrateLxc(c, node(c), vmid(c)),
  "GET /nodes/{node}/lxc/{vmid}/interfaces": interfaces,
  "GET /nodes/{node}/lxc/{vmid}/rrddata": rrddata,

  "GET /nodes/{node}/lxc/{vmid}/snapshot": (c) => listSnapshots(c, node(c), vmid(c)),
  "POST /nodes/{node}/lxc/{vmid}/snapshot": (c) => createSnapshot(c, node(c), vmid(c)),
  "POST /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback": (c) =>
    rollbackSnapshot(c, node(c), vmid(c), str(c.p, "snapname")!),
  "DELETE /nodes/{node}/lxc/{vmid}/snapshot/{snapname}": (c) =>
    deleteSnapshot(c, node(c), vmid(c), str(c.p, "snapname")!),
};
