/** /version, /cluster/*, /nodes, /nodes/{node}/status, /apt/versions and /network. */

import { hasPriv } from "../acl.ts";
import { GIB, type SimNode } from "../cluster.ts";
import type { Call, Sim } from "../context.ts";
import { num, str } from "../context.ts";
import { paramFail } from "../errors.ts";
import { lxcStatus } from "../lxc-config.ts";
import type { RouteTable } from "./types.ts";

export function pveVersion(sim: Sim) {
  return { version: sim.pve.version, release: sim.pve.release, repoid: sim.pve.repoid };
}

/** Node usage: a base load plus what its running containers use. */
function nodeUsage(sim: Sim, node: SimNode) {
  let mem = 2.3 * GIB;
  let cpu = 0.012;
  for (const ct of sim.cluster.containers.values()) {
    if (ct.node !== node.name) continue;
    const s = lxcStatus(sim.cluster, ct);
    mem += Number(s.mem);
    cpu += Number(s.cpu) / node.cpus;
  }
  return { mem: Math.round(mem), cpu: Math.min(1, cpu), uptime: sim.clock.now() - node.bootedAt };
}

function nodeEntry(sim: Sim, node: SimNode, fingerprint: string | undefined) {
  // An offline node is listed with its name and status only (Nodes.pm index).
  if (!node.online) return { node: node.name, status: "offline", id: `node/${node.name}`, type: "node" };
  const u = nodeUsage(sim, node);
  return {
    node: node.name,
    status: "online",
    cpu: u.cpu,
    maxcpu: node.cpus,
    mem: u.mem,
    maxmem: node.memory,
    disk: Math.round(9.8 * GIB),
    maxdisk: Math.round(94.2 * GIB),
    uptime: u.uptime,
    level: "",
    id: `node/${node.name}`,
    type: "node",
    ...(fingerprint ? { ssl_fingerprint: fingerprint } : {}),
  };
}

export function clusterRoutes(fingerprint: () => string | undefined): RouteTable {
  return {
    "GET /version": ({ sim }: Call) => pveVersion(sim),

    "GET /cluster/nextid": ({ sim, p }: Call) => {
      const vmid = num(p, "vmid");
      if (vmid === undefined) return sim.cluster.nextId();
      // Says "VM" even when a CT owns the id (Cluster.pm).
      if (sim.cluster.vmidUsed(vmid)) paramFail({ vmid: `VM ${vmid} already exists` });
      return vmid;
    },

    "GET /cluster/status": ({ sim }: Call) => {
      const nodes = [...sim.cluster.nodes.values()];
      return [
        {
          type: "cluster",
          id: "cluster",
          name: sim.cluster.name,
          nodes: nodes.length,
          quorate: 1,
          version: nodes.length + 2,
        },
        ...nodes.map((n) => ({
          type: "node",
          id: `node/${n.name}`,
          name: n.name,
          ip: n.clusterIp,
          nodeid: n.index,
          online: n.online ? 1 : 0,
          local: n.index === 1 ? 1 : 0,
          level: "",
        })),
      ];
    },

    "GET /cluster/resources": ({ sim, p }: Call) => {
      const type = str(p, "type");
      const out: unknown[] = [];
      if (!type || type === "node") {
        for (const n of sim.cluster.nodes.values()) {
          out.push({ ...nodeEntry(sim, n, undefined), ...(n.online ? { "cgroup-mode": 2 } : {}) });
        }
      }
      if (!type || type === "storage") {
        for (const n of sim.cluster.nodes.values()) {
          if (!n.online) continue;
          for (const s of n.storages.values()) {
            out.push({
              id: `storage/${n.name}/${s.id}`,
              type: "storage",
              storage: s.id,
              node: n.name,
              plugintype: s.type,
              status: "available",
              shared: 0,
              content: s.content.join(","),
              disk: sim.cluster.storageUsed(s),
              maxdisk: s.total,
            });
          }
        }
      }
      // PVE 9 reports each node's localnetwork zone as a `network` resource (8.4: `sdn/<node>/localnetwork`).
      if (!type && sim.pve.major >= 9) {
        for (const n of sim.cluster.nodes.values()) {
          out.push({
            id: `network/${n.name}/zone/localnetwork`,
            type: "network",
            network: "localnetwork",
            "network-type": "zone",
            "zone-type": "simple",
            node: n.name,
            status: "ok",
          });
        }
      }
      if (!type || type === "vm") {
        for (const ct of sim.cluster.containers.values()) {
          // status/name/stats come from the RRD cache (refreshed every 10 s); tags and lock are live.
          const cached = sim.rrdCache.get(ct.vmid);
          const live = lxcStatus(sim.cluster, ct);
          const entry: Record<string, unknown> = {
            id: `lxc/${ct.vmid}`,
            type: "lxc",
            vmid: ct.vmid,
            node: ct.node,
            // pvestatd has no fresh data from an offline node: its guests are `unknown`.
            status: sim.cluster.node(ct.node).online ? (cached?.status ?? "unknown") : "unknown",
            template: ct.config.template ? 1 : 0,
            maxcpu: live.cpus,
            maxmem: live.maxmem,
            maxdisk: live.maxdisk,
            cpu: cached?.status === "running" ? live.cpu : 0,
            mem: cached?.status === "running" ? live.mem : 0,
            disk: cached?.status === "running" ? live.disk : 0,
            uptime: cached?.uptime ?? 0,
            netin: 0,
            netout: 0,
            diskread: 0,
            diskwrite: 0,
          };
          if (cached) entry.name = cached.name;
          if (ct.config.tags) entry.tags = ct.config.tags;
          if (ct.config.lock) entry.lock = ct.config.lock;
          out.push(entry);
        }
        for (const vm of sim.cluster.vms.values()) {
          out.push({
            id: `qemu/${vm.vmid}`,
            type: "qemu",
            vmid: vm.vmid,
            node: vm.node,
            name: vm.name,
            status: sim.cluster.node(vm.node).online ? vm.status : "unknown",
            template: 0,
            maxcpu: 2,
            maxmem: 4 * 1024 ** 3,
            maxdisk: 32 * 1024 ** 3,
            cpu: 0,
            mem: 0,
            disk: 0,
            uptime: 0,
            netin: 0,
            netout: 0,
            diskread: 0,
            diskwrite: 0,
          });
        }
      }
      return out;
    },

    "GET /nodes": (call: Call) =>
      [...call.sim.cluster.nodes.values()].map((n) => {
        const entry: Record<string, unknown> = nodeEntry(call.sim, n, fingerprint());
        // Without Sys.Audit on the node the stats are left out (API2Tools extract_node_stats).
        if (!hasPriv(call, `/nodes/${n.name}`, ["Sys.Audit"])) {
          for (const k of ["cpu", "maxcpu", "mem", "maxmem", "disk", "maxdisk", "uptime", "level"])
            delete entry[k];
        }
        return entry;
      }),

    "GET /nodes/{node}/apt/versions": ({ sim, p }: Call) => {
      const n = sim.cluster.node(str(p, "node")!);
      return Object.entries(n.packages).map(([pkg, version]) => ({
        Package: pkg,
        Title: pkg,
        Description: pkg,
        Version: version,
        OldVersion: version,
        CurrentState: "Installed",
        Arch: pkg === "pve-manager" || pkg === "proxmox-ve" ? "all" : "amd64",
        Origin: "Proxmox",
        Priority: "optional",
        Section: "admin",
        ...(pkg === "pve-manager" ? { ManagerVersion: sim.pve.version } : {}),
        ...(pkg === "proxmox-ve" ? { RunningKernel: sim.pve.kernel } : {}),
      }));
    },

    "GET /nodes/{node}/status": ({ sim, p }: Call) => {
      const n = sim.cluster.node(str(p, "node")!);
      const u = nodeUsage(sim, n);
      return {
        uptime: u.uptime,
        idle: 0,
        loadavg: [(u.cpu * n.cpus).toFixed(2), "0.05", "0.01"],
        kversion: `Linux ${sim.pve.kernel} #1 SMP PREEMPT_DYNAMIC PMX ${sim.pve.kernel.replace(/-pve$/, "")}`,
        "current-kernel": {
          sysname: "Linux",
          release: sim.pve.kernel,
          version: `#1 SMP PREEMPT_DYNAMIC PMX ${sim.pve.kernel.replace(/-pve$/, "")}`,
          machine: "x86_64",
        },
        "boot-info": { mode: "efi", secureboot: 0 },
        cpuinfo: {
          model: "Intel(R) Xeon(R) E-2388G CPU @ 3.20GHz",
          cpus: n.cpus,
          cores: n.cpus,
          sockets: 1,
          mhz: "3200.000",
          hvm: "1",
          flags: "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov",
          user_hz: 100,
        },
        cpu: u.cpu,
        wait: 0.0004,
        memory: { total: n.memory, used: u.mem, free: n.memory - u.mem },
        swap: { total: 8 * GIB, used: 0, free: 8 * GIB },
        ksm: { shared: 0 },
        pveversion: `pve-manager/${sim.pve.version}/${sim.pve.repoid}`,
        rootfs: {
          total: Math.round(94.2 * GIB),
          used: Math.round(9.8 * GIB),
          free: Math.round(84.4 * GIB),
          avail: Math.round(79.6 * GIB),
        },
      };
    },

    "GET /nodes/{node}/network": ({ sim, p }: Call) => {
      const n = sim.cluster.node(str(p, "node")!);
      const type = str(p, "type");
      const ifaces = [
        {
          iface: "eno1",
          type: "eth",
          active: 1,
          autostart: 1,
          method: "manual",
          method6: "manual",
          families: ["inet"],
          exists: 1,
          priority: 3,
        },
        {
          iface: "vmbr0",
          type: "bridge",
          active: 1,
          autostart: 1,
          method: "static",
          method6: "manual",
          families: ["inet"],
          address: n.ip,
          netmask: "8",
          cidr: `${n.ip}/8`,
          bridge_ports: "eno1",
          bridge_stp: "off",
          bridge_fd: "0",
          priority: 4,
        },
      ];
      const matches = (t: string) =>
        !type || type === t || ((type === "any_bridge" || type === "any_local_bridge") && t === "bridge");
      return ifaces.filter((i) => matches(i.type));
    },
  };
}
