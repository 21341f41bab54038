/**
 * Containers made "outside Proximity", the way the Proxmox VE community helper scripts make them: created
 * through the simulator's PVE API with the scripts' tags, started, their description set afterwards (as
 * build.func's description() does with `pct set`), and then what the install leaves inside (the service on
 * its port and /usr/bin/update) put there with the simulator's control route.
 */
import type { SimWorld } from "./sim.ts";
import { simControl } from "./sim-control.ts";

/** What the helpers need of a test world (the API tests' SimWorld, the browser tests' WebWorld + host). */
export type World = Pick<SimWorld, "t" | "sim" | "hostId">;

/** The description a helper script writes (the parts discovery reads: the heading and the script's link). */
export function helperDescription(app: string, slug: string): string {
  return `<div align='center'>
  <a href='https://community-scripts.org' target='_blank' rel='noopener noreferrer'>
    <img src='https://raw.githubusercontent.com/community-scripts/ProxmoxVE/main/misc/images/logo-81x112.png' alt='Logo' style='width:81px;height:112px;'/>
  </a>
  <h2 style='font-size: 24px; margin: 20px 0;'>${app} LXC</h2>
  <p style='margin: 12px 0;'>
    <a href='https://community-scripts.org/scripts/${slug}' target='_blank' rel='noopener noreferrer'>Open script page</a>
  </p>
</div>`;
}

export interface MadeContainer {
  vmid: number;
  node: string;
  hostname?: string;
  /** A helper script's app: the scripts' tags and description, its service and /usr/bin/update. */
  script?: { slug: string; app: string; port: number; tags?: string[] };
  tags?: string[];
  start?: boolean;
  network?: boolean;
}

/** Creates (and by default starts) a container through the PVE API, as a helper script or a person would. */
export async function makeContainer(w: World, ct: MadeContainer): Promise<void> {
  const client = await w.t.services.hosts.client(w.hostId);
  const { waitForTask } = await import("../../src/proxmox/index.ts");
  let tpl = (await client.storageContent(ct.node, "local", "vztmpl"))[0]?.volid;
  if (!tpl) {
    // A fresh node has no template yet: download Debian's, as `pveam download` would.
    const debian = (await client.aplinfo(ct.node)).find((a) => a.template.startsWith("debian-12"))!;
    await waitForTask(client, ct.node, await client.downloadTemplate(ct.node, "local", debian.template), {
      timeoutMs: 20_000,
    });
    tpl = `local:vztmpl/${debian.template}`;
  }
  const tags = ct.script ? ["community-script", ...(ct.script.tags ?? [])] : (ct.tags ?? []);
  await waitForTask(
    client,
    ct.node,
    await client.createLxc(ct.node, {
      vmid: ct.vmid,
      hostname: ct.hostname ?? ct.script?.slug ?? `ct${ct.vmid}`,
      ostemplate: tpl,
      rootfs: { storage: "local-lvm", sizeGb: 4 },
      cores: 1,
      memory: 1024,
      ...(ct.network === false ? {} : { net: { 0: { name: "eth0", bridge: "vmbr0", ip: "dhcp" } } }),
      unprivileged: true,
      features: { nesting: true },
      ...(tags.length ? { tags } : {}),
    }),
    { timeoutMs: 20_000 },
  );
  if (ct.start !== false) {
    await waitForTask(client, ct.node, await client.startLxc(ct.node, ct.vmid), { timeoutMs: 20_000 });
  }
  if (ct.script) {
    await client.updateLxcConfig(ct.node, ct.vmid, {
      description: helperDescription(ct.script.app, ct.script.slug),
    });
    await simControl(w.sim, `containers/${ct.vmid}`, {
      helper_app: { slug: ct.script.slug, port: ct.script.port },
    });
  }
}

/** The container's config digest: equal before and after means nothing in its config was written. */
export async function configDigest(w: World, node: string, vmid: number): Promise<string> {
  const client = await w.t.services.hosts.client(w.hostId);
  return (await client.lxcConfig(node, vmid)).digest;
}
