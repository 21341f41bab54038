/**
 * Writing the files a catalog entry ships (`files`) into the app's named volumes, once, at its first deploy:
 * after `pull` and before `up`. `docker compose create` makes the volumes (and copies the image's content
 * into each new one, as Docker does for an empty volume), then every file is written under its volume's
 * mountpoint, so the app finds the store's configuration the first time it starts. Bytes travel as stdin of
 * `tee`; paths are argv, never a shell line. A path that resolves outside its volume (a link the image put
 * there) stops the deploy before anything is written.
 */
import { AppServiceError } from "../../core/errors.ts";
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";
import { dockerVolumeName, fileBytes, placeholdersIn, renderTemplate } from "../catalog/index.ts";
import { type Argv, compose, volumeMountpoint } from "./provision.ts";

interface Runner {
  vmid: number;
  exec(argv: Argv, stdin?: string | Uint8Array): Promise<string>;
  /** The values `.env` holds: a template file is filled in with them. */
  envValues(entry: CatalogEntry): Promise<Record<string, string>>;
  errorContext(step?: string): ConstructorParameters<typeof AppServiceError>[1];
}

/** The parent directories of `path` inside `base`, outermost first. */
function parentsOf(base: string, path: string): string[] {
  const segments = path.split("/").slice(0, -1);
  return segments.map((_, i) => `${base}/${segments.slice(0, i + 1).join("/")}`);
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

/** Each file's bytes (a template filled in), and whether it holds a secret setting's value. */
async function fileBodies(
  run: Runner,
  entry: CatalogEntry,
): Promise<{ bytes: Uint8Array | string; secret: boolean }[]> {
  const values = entry.files.some((f) => f.template) ? await run.envValues(entry) : {};
  const secrets = entry.env.filter((e) => e.secret).map((e) => e.name);
  return entry.files.map((file) => {
    if (!file.template) return { bytes: fileBytes(file), secret: false };
    try {
      const text = renderTemplate(file, values);
      const names = placeholdersIn(file.content);
      return { bytes: text, secret: secrets.some((n) => names.includes(n)) };
    } catch (err) {
      throw new AppServiceError(
        `The template ${err instanceof Error ? err.message : String(err)}: nothing written in CT ${run.vmid}`,
        run.errorContext("seed_files"),
      );
    }
  });
}

export async function seedEntryFiles(run: Runner, entry: CatalogEntry): Promise<void> {
  if (entry.files.length === 0) return;
  const bodies = await fileBodies(run, entry);
  await run.exec(compose.create);
  const mountpoints = new Map<string, string>();
  for (const volume of new Set(entry.files.map((f) => f.volume))) {
    const mountpoint = (await run.exec(volumeMountpoint(dockerVolumeName(entry.compose, volume)))).trim();
    if (!/^\/[^\0\r\n]*[^/]$/.test(mountpoint) || mountpoint.split("/").includes("..")) {
      throw new AppServiceError(
        `Docker gave the volume ${volume} an unexpected mountpoint in CT ${run.vmid}: ${JSON.stringify(mountpoint.slice(0, 200))}`,
        run.errorContext("seed_files"),
      );
    }
    mountpoints.set(volume, mountpoint);
  }
  const planned = entry.files.map((file) => {
    const base = mountpoints.get(file.volume)!;
    return { file, base, target: `${base}/${file.path}`, dirs: parentsOf(base, file.path) };
  });
  // Links are resolved as the container's root sees them: every target must stay inside its volume.
  const resolved = (await run.exec(["realpath", "-m", "--", ...planned.map((p) => p.target)]))
    .split("\n")
    .filter((l) => l !== "");
  planned.forEach((p, i) => {
    if (resolved[i] !== p.target) {
      throw new AppServiceError(
        `${p.file.volume}/${p.file.path} leads out of its volume in CT ${run.vmid} (a link in the image?): not written`,
        run.errorContext("seed_files"),
      );
    }
  });
  const dirs = [...new Set(planned.flatMap((p) => p.dirs))];
  if (dirs.length > 0) await run.exec(["mkdir", "-p", "--", ...dirs]);
  planned.forEach((p, i) => {
    // A template holding a secret setting's value is readable by its owner only.
    if (bodies[i]!.secret) p.file = { ...p.file, mode: "0600" };
  });
  for (const [i, p] of planned.entries()) await run.exec(["tee", "--", p.target], bodies[i]!.bytes);
  for (const [mode, group] of groupBy(planned, (p) => p.file.mode))
    await run.exec(["chmod", mode, "--", ...group.map((p) => p.target)]);
  for (const [owner, group] of groupBy(planned, (p) => p.file.owner)) {
    const paths = [...new Set(group.flatMap((p) => [...p.dirs, p.target]))];
    await run.exec(["chown", owner, "--", ...paths]);
  }
}
