/**
 * A JSON snapshot of the whole simulator, for tests (`state()` and `GET /_sim/state`): nodes,
 * containers (status, config, lock, IP, files, received commands), volumes, tasks and faults.
 */
import type { Volume } from "./cluster.ts";
import { serviceFiles } from "./compose.ts";
import type { Sim } from "./context.ts";
import type { CommandRecord } from "./guest.ts";
import { configForOutput } from "./lxc-config.ts";
import type { TaskRecord } from "./tasks.ts";

export interface SimFileState {
  /** Octal mode text, e.g. "0600". */
  mode: string;
  size: number;
  /** UTF-8 content. */
  content: string;
}

export interface SimContainerState {
  vmid: number;
  node: string;
  status: "running" | "stopped";
  lock: string | null;
  hostname: string;
  /** First IPv4 address (DHCP lease or static), without prefix; null when stopped or not leased yet. */
  ip: string | null;
  config: Record<string, string | number>;
  snapshots: string[];
  files: Record<string, SimFileState>;
  dirs: string[];
  packages: string[];
  docker: { installed: boolean; enabled: boolean; running: boolean };
  compose: {
    file: string;
    project: string;
    services: {
      name: string;
      image: string;
      state: string;
      /** The service's environment as compose interpolated it from the project's .env (what its app reads). */
      environment: Record<string, string>;
      /** What the service's container sees through its named volumes, by its path in that container. */
      files: Record<string, SimFileState & { owner: string }>;
    }[];
  }[];
  commands: CommandRecord[];
  /** Created from an OCI image (PVE 9.1+): which one; null for system containers. */
  oci: { repository: string; tag: string } | null;
  /** Config changes waiting for the next start (`entrypoint`, `env` set while running). */
  pending: Record<string, string | number>;
}

export interface SimState {
  nodes: {
    name: string;
    ip: string;
    cpus: number;
    memory: number;
    storages: { id: string; type: string; content: string; total: number; used: number }[];
  }[];
  containers: SimContainerState[];
  /** The volumes without what a backup, an OCI archive or a backup's mount points carry. */
  volumes: Omit<Volume, "backup" | "oci" | "mounts">[];
  tasks: Omit<TaskRecord, "pid" | "pstart" | "log" | "done">[];
  faults: unknown[];
}

export function snapshotState(sim: Sim): SimState {
  const { cluster } = sim;
  const decoder = new TextDecoder();
  return {
    nodes: [...cluster.nodes.values()].map((n) => ({
      name: n.name,
      ip: n.ip,
      cpus: n.cpus,
      memory: n.memory,
      storages: [...n.storages.values()].map((s) => ({
        id: s.id,
        type: s.type,
        content: s.content.join(","),
        total: s.total,
        used: cluster.storageUsed(s),
      })),
    })),
    containers: [...cluster.containers.values()]
      .sort((a, b) => a.vmid - b.vmid)
      .map((ct) => {
        const firstLease = [...ct.leases.values()][0];
        const { digest: _d, ...config } = configForOutput(ct.config);
        return {
          vmid: ct.vmid,
          node: ct.node,
          status: ct.status,
          lock: ct.config.lock ? String(ct.config.lock) : null,
          hostname: String(ct.config.hostname ?? `CT${ct.vmid}`),
          ip: firstLease ? firstLease.split("/")[0]! : null,
          config,
          snapshots: ct.snapshots.map((s) => s.name),
          files: Object.fromEntries(
            [...ct.guest.files].map(([path, f]) => [
              path,
              { mode: `0${f.mode.toString(8)}`, size: f.data.length, content: decoder.decode(f.data) },
            ]),
          ),
          dirs: [...ct.guest.dirs].sort(),
          packages: [...ct.guest.packages].sort(),
          docker: {
            installed: ct.guest.dockerInstalled,
            enabled: ct.guest.dockerEnabled,
            running: ct.guest.dockerRunning,
          },
          compose: [...ct.guest.projects.values()].map((p) => ({
            file: p.file,
            project: p.name,
            services: [...p.services.values()].map((s) => ({
              name: s.name,
              image: s.image,
              state: s.state,
              environment: { ...s.environment },
              files: Object.fromEntries(
                [...serviceFiles(ct.guest, p, s)].map(([path, f]) => [
                  path,
                  {
                    mode: `0${f.mode.toString(8)}`,
                    size: f.data.length,
                    content: decoder.decode(f.data),
                    owner: f.owner ?? "0:0",
                  },
                ]),
              ),
            })),
          })),
          commands: ct.guest.commands.map((c) => ({ ...c, argv: [...c.argv] })),
          oci: ct.guest.oci ? { ...ct.guest.oci } : null,
          pending: { ...ct.pending },
        };
      }),
    volumes: [...cluster.nodes.values()].flatMap((n) =>
      [...n.storages.values()].flatMap((s) =>
        [...s.volumes.values()].map((v) => ({
          volid: v.volid,
          node: v.node,
          storage: v.storage,
          content: v.content,
          format: v.format,
          size: v.size,
          ctime: v.ctime,
          ...(v.vmid !== undefined ? { vmid: v.vmid } : {}),
          ...(v.notes ? { notes: v.notes } : {}),
          ...(v.protected ? { protected: true } : {}),
          ...(v.files ? { files: { ...v.files } } : {}),
        })),
      ),
    ),
    tasks: [...sim.tasks.tasks.values()].map((t) => ({
      upid: t.upid,
      node: t.node,
      type: t.type,
      id: t.id,
      user: t.user,
      status: t.status,
      ...(t.exitstatus !== undefined ? { exitstatus: t.exitstatus } : {}),
      starttime: t.starttime,
      ...(t.endtime !== undefined ? { endtime: t.endtime } : {}),
    })),
    faults: sim.faults.list(),
  };
}
