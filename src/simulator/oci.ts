/**
 * Application containers from OCI images (Proxmox VE 9.1+, a technology preview there):
 * `POST /nodes/{node}/storage/{storage}/oci-registry-pull` as an `ociregistrypull` task that stores
 * `<storage>:vztmpl/<normalised name>.tar`, `GET /nodes/{node}/query-oci-repo-tags`, and what a create
 * from such an archive does to the container's config (the image's entrypoint and env win over the
 * create parameters, console mode, host-managed networking, directories for the image's volumes).
 * Images come from the built-in registry (oci-registry.ts); the routes do not exist when playing 8.4.
 */
import type { Cluster, Container, LxcConfig, Volume } from "./cluster.ts";
import { type Call, startTask, str } from "./context.ts";
import { fail } from "./errors.ts";
import type { GuestState } from "./guest.ts";
import { netKeys, parseProps, printProps } from "./lxc-config.ts";
import { mountKeys, mountVolume } from "./mountpoints.ts";
import {
  entrypointLine,
  findImage,
  imageProgram,
  type OciImage,
  ociArchiveName,
  resolveReference,
  unknownRepository,
} from "./oci-registry.ts";
import type { TaskContext } from "./tasks.ts";

const FILE_BASED = new Set(["dir", "btrfs"]);
/** Roughly what a pull from a public registry achieves (compressed bytes per second). */
const PULL_BYTES_PER_S = 40 * 1024 ** 2;

/** POST /nodes/{node}/storage/{storage}/oci-registry-pull → UPID (`ociregistrypull`). */
export function ociRegistryPull(call: Call, node: string): string {
  const { sim, p } = call;
  const sid = str(p, "storage")!;
  const reference = str(p, "reference")!;
  const s = sim.cluster.storage(node, sid);
  if (!FILE_BASED.has(s.type)) fail(`can't upload to storage type '${s.type}', not a file based storage!`);
  if (!s.content.includes("vztmpl")) fail(`storage '${sid}' is not configured for content-type 'vztmpl'`);
  const name = ociArchiveName(str(p, "filename") ?? reference);
  const dest = `${s.path}/template/cache/${name}`;
  if (s.volumes.has(`vztmpl/${name}`)) fail(`refusing to override existing file '${dest}'`);
  const { repository, tag } = resolveReference(reference, true);

  return startTask(call, node, "ociregistrypull", name, async (ctx) => {
    const tmp = `${dest}.tmp.${ctx.task.pid}`;
    const command = `skopeo copy docker://${reference} oci-archive:${tmp}`;
    // Resolving the manifest is the first round trip to the registry.
    await ctx.work(sim.rng.between(600, 1200));
    const image = findImage(repository);
    const size = image?.tags[tag!];
    if (!image || size === undefined) {
      ctx.log(
        `FATA[0001] initializing source docker://${reference}: ${
          image ? `reading manifest ${tag} in ${repository}: manifest unknown` : unknownRepository(repository)
        }`,
      );
      throw new Error(`command '${command}' failed: exit code 1`);
    }
    ctx.log("Getting image source signatures");
    const layers = Math.max(1, Math.min(6, Math.round(size / (20 * 1024 ** 2))));
    for (let i = 0; i < layers; i++) {
      await ctx.work(size / layers / (PULL_BYTES_PER_S / 1000));
      ctx.log(`Copying blob sha256:${sim.rng.hex(32)} done`);
    }
    ctx.log(`Copying config sha256:${sim.rng.hex(32)} done`);
    ctx.log("Writing manifest to image destination");
    const free = s.total - sim.cluster.storageUsed(s);
    if (size > free) throw new Error(`write to '${tmp}' failed: No space left on device`);
    if (s.volumes.has(`vztmpl/${name}`)) throw new Error(`refusing to override existing file '${dest}'`);
    const volume: Volume = {
      volid: `${sid}:vztmpl/${name}`,
      storage: sid,
      node,
      content: "vztmpl",
      format: "tar",
      size,
      ctime: sim.clock.now(),
      oci: { repository, tag: tag! },
    };
    s.volumes.set(`vztmpl/${name}`, volume);
  }).upid;
}

/** GET /nodes/{node}/query-oci-repo-tags: the repository's tags (`reference` carries none). */
export function queryOciRepoTags(call: Call, node: string): string[] {
  call.sim.cluster.node(node);
  const { repository } = resolveReference(str(call.p, "reference")!, false);
  const image = findImage(repository);
  if (!image) fail(`failed to query tags of '${repository}': ${unknownRepository(repository)}`);
  return Object.keys(image.tags);
}

/** The image behind an OCI archive volume, if the volume is one. */
export function ociImageOf(volume: Volume): OciImage | undefined {
  return volume.oci ? findImage(volume.oci.repository) : undefined;
}

/**
 * restore_oci_archive's mapping of the image config, applied after the create parameters: the image's
 * Entrypoint+Cmd and Env replace whatever the caller passed.
 */
export function applyOciImage(
  ctx: TaskContext,
  config: LxcConfig,
  guest: GuestState,
  volume: Volume,
  image: OciImage,
): void {
  const line = entrypointLine(image.config);
  const program = imageProgram(image.config);
  if (program !== undefined && program !== "/sbin/init") {
    config.entrypoint = line;
    config.cmode = "console";
    for (const key of netKeys(config)) {
      const props = parseProps(String(config[key]), "name");
      if (props.has("host-managed")) continue;
      ctx.log(`Auto-Enabling host-managed network for network device ${key}.`);
      props.set("host-managed", "1");
      config[key] = printProps(props, "name");
    }
  }
  if (image.config.env.length > 0) config.env = image.config.env.join("\0");
  for (const dir of image.config.volumes) {
    ctx.log(`creating base directory for volume at ${dir}`);
    let path = "";
    for (const part of dir.split("/").filter(Boolean)) {
      path += `/${part}`;
      guest.dirs.add(path);
    }
  }
  guest.oci = { ...volume.oci! };
}

/**
 * What the application does with its data when it starts: the first start creates it (`app-data`, naming
 * the image and the container that created it), every start records which version opened it last
 * (`opened-by`). The data lives on the mount point at the image's declared volume path when there is one,
 * else in the container's root filesystem (and goes with it).
 */
export function writeAppData(cluster: Cluster, ct: Container, now: number): void {
  if (!ct.guest.oci) return;
  const image = findImage(ct.guest.oci.repository);
  // An entrypoint changed away from the image's program does not run the application.
  if (!image || String(ct.config.entrypoint ?? "").split(" ")[0] !== imageProgram(image.config)) return;
  const ref = `${ct.guest.oci.repository}:${ct.guest.oci.tag}`;
  const created = `created by ${ref} in CT ${ct.vmid} at ${now}`;
  for (const dir of image.config.volumes) {
    const key = mountKeys(ct.config).find((k) => parseProps(String(ct.config[k])).get("mp") === dir);
    const volume = key ? mountVolume(cluster, ct, key) : undefined;
    if (volume) {
      volume.files ??= {};
      volume.files["app-data"] ??= created;
      volume.files["opened-by"] = ref;
      continue;
    }
    const text = new TextEncoder();
    if (!ct.guest.files.has(`${dir}/app-data`)) {
      ct.guest.files.set(`${dir}/app-data`, { data: text.encode(created), mode: 0o644 });
    }
    ct.guest.files.set(`${dir}/opened-by`, { data: text.encode(ref), mode: 0o644 });
  }
}

/** Start-time rule of host-managed interfaces: SLAAC cannot be done by the host. */
export function checkHostManagedStart(config: LxcConfig): void {
  for (const key of netKeys(config)) {
    const props = parseProps(String(config[key]), "name");
    if (props.get("host-managed") === "1" && props.get("ip6") === "auto") {
      throw new Error("SLAAC is not supported for host-managed network configuration");
    }
  }
}

/** `K=v\0K2=v2` → map (later keys win, as in an environment). */
export function parseEnvList(text: string | number | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (text === undefined) return out;
  for (const item of String(text).split("\0")) {
    const i = item.indexOf("=");
    if (i > 0) out.set(item.slice(0, i), item.slice(i + 1));
  }
  return out;
}
