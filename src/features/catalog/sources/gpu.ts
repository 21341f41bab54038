/**
 * What a store app asks of the host's GPU, and what the translation does with it (docs/catalog.md "GPU").
 *
 * Proximity never passes a host device into an app's container: the compose policy refuses `devices`
 * (compose-policy.ts), for built-in entries and imports alike. Media servers (Plex, Emby, Jellyfin,
 * FileFlows, Stremio) map the host's GPU only to transcode video in hardware; without it they transcode on
 * the CPU. So a store app whose `devices` are only GPU nodes — the DRI render nodes (`/dev/dri`,
 * `/dev/dri/renderD128`, `/dev/dri/card0`) and the Raspberry Pi's VideoCore (`/dev/vchiq`, `/dev/vcsm`,
 * its codec nodes `/dev/video10`–`12`, its libraries `/opt/vc/lib`) — is imported without them, with a
 * note; any other device (a serial port, `/dev/net/tun`, USB) refuses the app, named.
 *
 * A TV tuner (`/dev/dvb`) is the same kind of extra for a media library server (Plex, Emby, Jellyfin): it
 * feeds their optional Live TV & DVR (Plex's needs a paid Plex Pass as well), and the library plays without
 * it. It is dropped with a note only for those servers' images; for any other image (a tuner server such as
 * Tvheadend, whose tuner is the point) it refuses the app like any other device.
 *
 * An NVIDIA GPU request (`deploy.resources.reservations.devices` with the `gpu` capability or the nvidia
 * driver, `runtime: nvidia`, `gpus`) is different: Docker refuses to start such a container on a host
 * without the GPU, and some apps (model training, video diffusion) need it. It is dropped only when the
 * store itself says the app runs without it — the service sets `CPU_FALLBACK` (CasaOS's mark of a GPU
 * variant that falls back to the CPU), or the store runs the same image in another app without a GPU (an
 * "-nvidia" variant beside its CPU one); otherwise the app is refused with the reason.
 */
import { isRecord } from "./yaml.ts";

/** The host's DRI nodes: the GPU's render and display nodes, or their directory. */
const DRI_NODE = /^\/dev\/dri(\/(renderD\d+|card\d+))?\/?$/;
/** The Raspberry Pi's VideoCore: its host interface, shared memory and V4L2 codec nodes (decode, encode, ISP). */
const VIDEOCORE_NODE = /^\/dev\/(vchiq|vcsm|vcsm-cma|video1[0-2])$/;
/** The Raspberry Pi's VideoCore libraries (OpenMAX, MMAL), which only its GPU uses. */
const VIDEOCORE_PATH = /^\/opt\/vc(\/lib)?\/?$/;

/** A DVB TV tuner: its directory or one adapter's nodes (`/dev/dvb/adapter0/frontend0`). */
const TUNER_NODE = /^\/dev\/dvb(\/adapter\d+(\/[a-z]+\d+)?)?\/?$/;
/**
 * The media library servers whose Live TV is an optional feature, by the last two parts of their image's
 * repository (`lscr.io/linuxserver/plex`, `plexinc/pms-docker` …): their official and linuxserver.io images.
 */
const LIBRARY_SERVERS = new Set([
  "plexinc/pms-docker",
  "linuxserver/plex",
  "emby/embyserver",
  "linuxserver/emby",
  "jellyfin/jellyfin",
  "linuxserver/jellyfin",
]);

/** Whether an image is a media library server's, whose TV tuner is optional. */
export function isLibraryServer(image: unknown): boolean {
  const repo = imageRepository(image);
  return repo !== undefined && LIBRARY_SERVERS.has(repo.split("/").slice(-2).join("/"));
}

/** The host side of one `devices` item (`/dev/x`, `/dev/x:/dev/y[:rwm]`, or `{ source, target }`). */
function hostSide(item: unknown): string {
  if (typeof item === "string") return item.split(":")[0] ?? item;
  if (isRecord(item) && typeof item.source === "string") return item.source;
  return JSON.stringify(item);
}

/**
 * A service's `devices`, split into GPU nodes (dropped), TV tuners a library server may go without (dropped)
 * and every other device (which refuses the app).
 */
export function splitDevices(
  value: unknown,
  image?: unknown,
): { gpu: string[]; tuner: string[]; other: string[] } {
  const items = Array.isArray(value) ? value : [value];
  const gpu: string[] = [];
  const tuner: string[] = [];
  const other: string[] = [];
  const optionalTuner = isLibraryServer(image);
  for (const item of items) {
    const host = hostSide(item);
    if (DRI_NODE.test(host) || VIDEOCORE_NODE.test(host)) gpu.push(host);
    else if (optionalTuner && TUNER_NODE.test(host)) tuner.push(host);
    else other.push(host);
  }
  return { gpu: [...new Set(gpu)], tuner: [...new Set(tuner)], other: [...new Set(other)] };
}

/** The Raspberry Pi's VideoCore libraries, mounted from the host for its GPU only. */
export function isVideoCorePath(path: string): boolean {
  return VIDEOCORE_PATH.test(path);
}

/** What an entry says when its GPU devices are dropped. */
export function gpuDevicesNote(app: string, devices: string[]): string {
  return `Hardware transcoding is off: Proximity does not pass the host's GPU into an app's container (${devices.join(", ")} not passed); ${app} transcodes on the CPU`;
}

/** What an entry says when a library server's TV tuner is dropped. */
export function tunerNote(app: string, devices: string[]): string {
  return `Live TV from a tuner is off: Proximity does not pass the host's TV tuner into an app's container (${devices.join(", ")} not passed); ${app} plays its library without it`;
}

function mentionsGpu(reservation: unknown): boolean {
  if (!isRecord(reservation)) return false;
  const caps = Array.isArray(reservation.capabilities) ? reservation.capabilities.flat() : [];
  return (
    String(reservation.driver ?? "").toLowerCase() === "nvidia" ||
    caps.some((c) => String(c).toLowerCase() === "gpu")
  );
}

/**
 * How a service asks for an NVIDIA GPU, one phrase per way (empty when it does not): a device reservation
 * under `deploy`, the nvidia runtime, or `gpus`.
 */
export function gpuRequests(svc: Record<string, unknown>): string[] {
  const out: string[] = [];
  const deploy = svc.deploy;
  const reservations =
    isRecord(deploy) && isRecord(deploy.resources) && isRecord(deploy.resources.reservations)
      ? deploy.resources.reservations.devices
      : undefined;
  if (Array.isArray(reservations) && reservations.some(mentionsGpu))
    out.push("reserves an NVIDIA GPU (deploy.resources.reservations.devices)");
  if (String(svc.runtime ?? "").toLowerCase() === "nvidia")
    out.push("runs in the NVIDIA runtime (runtime: nvidia)");
  if (svc.gpus !== undefined) out.push("asks for the host's GPUs (gpus)");
  return out;
}

/** The repository an image reference names (no tag, digest or Docker Hub prefix): the same app's image. */
export function imageRepository(image: unknown): string | undefined {
  if (typeof image !== "string" || image === "") return undefined;
  const name = image.split("@")[0]!;
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const repo = colon > slash ? name.slice(0, colon) : name;
  return repo
    .toLowerCase()
    .replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, "")
    .replace(/^library\//, "");
}

/** Whether the service's `environment` sets CPU_FALLBACK to a true value. */
export function hasCpuFallback(env: Record<string, string>): boolean {
  const value = env.CPU_FALLBACK;
  return value !== undefined && /^(true|yes|on|1)$/i.test(value.trim());
}

/** What an entry says when an NVIDIA GPU request is dropped (the app runs on the CPU). */
export function gpuRequestNote(app: string): string {
  return `GPU acceleration is off: Proximity does not pass the host's NVIDIA GPU into an app's container; ${app} runs on the CPU`;
}
