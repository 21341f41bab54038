/**
 * What a running container's processes hold in memory: the `mem` of `status/current` and `rrddata`. PVE
 * reads it from the container's cgroup, so it counts every process inside: for an app run by Docker in
 * LXC that is the distribution's init and daemons, dockerd, containerd, one containerd-shim per Docker
 * container, one docker-proxy per published port, and the app; for an application container created
 * from an OCI image (PVE 9.1+) the app is the container's init and nothing else runs.
 *
 * A model, not a measurement: the figures are the order of magnitude of the resident memory these
 * processes show on an idle small host (`ps -o rss`, `docker stats`), rounded. The app is given the same
 * figure whichever runtime runs it, so the difference between the runtimes is only what runs around it.
 */
import { MIB } from "./cluster.ts";
import type { GuestState } from "./guest.ts";

export const MEMORY_MODEL_MIB = {
  /** Alpine's busybox init, syslogd and crond (no systemd). */
  alpineBase: 8,
  /** Debian/Ubuntu "standard" templates: systemd, journald, logind, cron, postfix (3 processes), sshd. */
  systemdBase: 48,
  /** dockerd, idle, with its Go runtime and a few containers. */
  dockerd: 45,
  /** containerd, idle. */
  containerd: 30,
  /** containerd-shim-runc-v2: one per running Docker container. */
  shim: 8,
  /** docker-proxy (the userland proxy, on by default): one per published port. */
  proxy: 4,
  /** One application process tree (a compose service, or an OCI container's entrypoint). */
  app: 64,
} as const;

/** Bytes in use by a running container's processes, before the container's memory limit caps it. */
export function guestMemory(guest: GuestState): number {
  const m = MEMORY_MODEL_MIB;
  if (guest.oci) return m.app * MIB;
  const base = guest.distro.startsWith("alpine") ? m.alpineBase : m.systemdBase;
  if (!guest.dockerRunning) return base * MIB;
  let mib = base + m.dockerd + m.containerd;
  for (const project of guest.projects.values()) {
    for (const svc of project.services.values()) {
      if (svc.state !== "running") continue;
      mib += m.shim + m.app + svc.ports.length * m.proxy;
    }
  }
  return mib * MIB;
}
