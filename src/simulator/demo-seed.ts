/**
 * Demo mode's cluster is not empty: like most real ones, it already runs containers Proximity did not make.
 * Two are made the way the Proxmox VE community helper scripts make them, through this simulator's own PVE
 * API (created with the scripts' tags, started, their description set afterwards), then the install's result
 * put inside (POST /_sim/containers/{vmid}: the app's service and /usr/bin/update); one is made by hand. They
 * show up under Hosts → Unmanaged containers, ready to adopt.
 */
/** What seeding needs of a running simulator: its API address and token. */
interface SimApi {
  apiUrl: string;
  tokenId: string;
  tokenSecret: string;
}

interface Seed {
  vmid: number;
  node: string;
  hostname: string;
  script?: { slug: string; app: string; port: number; tags: string[] };
}

export const DEMO_UNMANAGED: readonly Seed[] = [
  {
    vmid: 900,
    node: "pve1",
    hostname: "uptimekuma",
    script: { slug: "uptimekuma", app: "Uptime Kuma", port: 3001, tags: ["analytics", "monitoring"] },
  },
  {
    vmid: 901,
    node: "pve2",
    hostname: "jellyfin",
    script: { slug: "jellyfin", app: "Jellyfin", port: 8096, tags: ["media"] },
  },
  { vmid: 902, node: "pve1", hostname: "fileserver" },
];

/** The description a helper script sets (build.func's description(), its parts that matter). */
function description(app: string, slug: string): string {
  return (
    "<div align='center'>\n" +
    "  <a href='https://community-scripts.org' target='_blank' rel='noopener noreferrer'>Proxmox VE Helper-Scripts</a>\n" +
    `  <h2 style='font-size: 24px; margin: 20px 0;'>${app} LXC</h2>\n` +
    `  <p><a href='https://community-scripts.org/scripts/${slug}' target='_blank' rel='noopener noreferrer'>Open script page</a></p>\n` +
    "</div>"
  );
}

export async function seedUnmanagedContainers(
  sim: SimApi,
  seeds: readonly Seed[] = DEMO_UNMANAGED,
): Promise<void> {
  const auth = { authorization: `PVEAPIToken=${sim.tokenId}=${sim.tokenSecret}` };
  const call = async (method: string, path: string, body?: Record<string, string | number>) => {
    const res = await fetch(`${sim.apiUrl}${path}`, {
      method,
      headers: body ? { ...auth, "content-type": "application/x-www-form-urlencoded" } : auth,
      ...(body
        ? { body: new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)])).toString() }
        : {}),
    });
    const json = (await res.json().catch(() => ({}))) as { data?: unknown };
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json.data;
  };
  const task = async (node: string, upid: unknown) => {
    for (;;) {
      const s = (await call(
        "GET",
        `/api2/json/nodes/${node}/tasks/${encodeURIComponent(String(upid))}/status`,
      )) as {
        status: string;
        exitstatus?: string;
      };
      if (s.status === "stopped") {
        if (s.exitstatus !== "OK") throw new Error(`task ${upid} ended: ${s.exitstatus}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  // One download per node, shared by the containers made on it at the same time.
  const templates = new Map<string, Promise<string>>();
  const template = (node: string) => {
    let t = templates.get(node);
    if (!t) {
      t = download(node);
      templates.set(node, t);
    }
    return t;
  };
  const download = async (node: string) => {
    const stored = (await call("GET", `/api2/json/nodes/${node}/storage/local/content?content=vztmpl`)) as {
      volid: string;
    }[];
    let volid = stored[0]?.volid;
    if (!volid) {
      const index = (await call("GET", `/api2/json/nodes/${node}/aplinfo`)) as { template: string }[];
      const debian = index.find((a) => a.template.startsWith("debian-12"))!;
      await task(
        node,
        await call("POST", `/api2/json/nodes/${node}/aplinfo`, {
          storage: "local",
          template: debian.template,
        }),
      );
      volid = `local:vztmpl/${debian.template}`;
    }
    return volid;
  };
  const make = async (s: Seed) => {
    await task(
      s.node,
      await call("POST", `/api2/json/nodes/${s.node}/lxc`, {
        vmid: s.vmid,
        hostname: s.hostname,
        ostemplate: await template(s.node),
        rootfs: "local-lvm:4",
        cores: 1,
        memory: 1024,
        net0: "name=eth0,bridge=vmbr0,ip=dhcp",
        unprivileged: 1,
        features: "nesting=1",
        onboot: 1,
        ...(s.script ? { tags: ["community-script", ...s.script.tags].join(";") } : {}),
      }),
    );
    await task(s.node, await call("POST", `/api2/json/nodes/${s.node}/lxc/${s.vmid}/status/start`, {}));
    if (s.script) {
      await call("PUT", `/api2/json/nodes/${s.node}/lxc/${s.vmid}/config`, {
        description: description(s.script.app, s.script.slug),
      });
      const res = await fetch(`${sim.apiUrl}/_sim/containers/${s.vmid}`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ helper_app: { slug: s.script.slug, port: s.script.port } }),
      });
      if (!res.ok) throw new Error(`/_sim/containers/${s.vmid}: ${res.status}`);
    }
  };
  await Promise.all(seeds.map(make));
}
