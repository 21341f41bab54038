/**
 * Choosing an OS template. PVE's appliance index (`aplinfo`) comes back in random order and holds many
 * TurnKey appliances named `debian-12-turnkey-*`, so a name prefix is not enough: the template is chosen
 * by `package` and `section: system`, highest `version` first. The same rule applies to the templates
 * already on a storage.
 */
import type { AplInfoEntry, StorageVolume } from "./types.ts";

/** What actually runs in the container (the install recipe depends on it). */
export type Distro = "alpine" | "debian-12" | "debian-13";

export interface TemplateWish {
  /** Acceptable appliance packages, best first. */
  packages: { name: RegExp; distro: Distro }[];
  ostype: "alpine" | "debian";
}

/** The templates each OS of the catalog asks for, best first. */
export const OS_TEMPLATE_WISHES = {
  "alpine-3.22": {
    packages: [
      { name: /^alpine-3\.22-default$/, distro: "alpine" },
      { name: /^alpine-3\.(2[3-9]|[3-9]\d)-default$/, distro: "alpine" },
    ],
    ostype: "alpine",
  },
  "debian-13": {
    packages: [
      { name: /^debian-13-standard$/, distro: "debian-13" },
      { name: /^debian-12-standard$/, distro: "debian-12" },
    ],
    ostype: "debian",
  },
  "debian-12": {
    packages: [{ name: /^debian-12-standard$/, distro: "debian-12" }],
    ostype: "debian",
  },
} satisfies Record<string, TemplateWish>;

/** Debian-style version order, enough for appliance versions ("13.1-2" > "12.12-1" > "12.7-1"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.\-_+~]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const pb = b.split(/[.\-_+~]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** "local:vztmpl/debian-13-standard_13.1-2_amd64.tar.zst" → package and version (PVE's naming). */
export function parseTemplateName(volidOrFile: string): { package: string; version: string } | undefined {
  const file = volidOrFile.slice(volidOrFile.lastIndexOf("/") + 1);
  const m = /^(.+?)_([^_]+)_[a-z0-9]+\.tar(\.\w+)?$/.exec(file);
  return m ? { package: m[1]!, version: m[2]! } : undefined;
}

export interface TemplateChoice {
  template: string;
  distro: Distro;
}

/** The best appliance of the index for the wish, or undefined. */
export function pickAppliance(index: AplInfoEntry[], wish: TemplateWish): TemplateChoice | undefined {
  for (const want of wish.packages) {
    const best = index
      .filter((t) => t.section === "system" && want.name.test(t.package ?? ""))
      .sort((a, b) => compareVersions(b.version ?? "", a.version ?? ""))[0];
    if (best) return { template: best.template, distro: want.distro };
  }
  return undefined;
}

/** The best template already on the storage for the wish, or undefined. */
export function pickStored(
  volumes: StorageVolume[],
  wish: TemplateWish,
): (TemplateChoice & { volid: string }) | undefined {
  const parsed = volumes
    .map((v) => ({ volid: v.volid, name: parseTemplateName(v.volid) }))
    .filter((v): v is { volid: string; name: { package: string; version: string } } => v.name !== undefined);
  for (const want of wish.packages) {
    const best = parsed
      .filter((v) => want.name.test(v.name.package))
      .sort((a, b) => compareVersions(b.name.version, a.name.version))[0];
    if (best)
      return {
        volid: best.volid,
        template: best.volid.slice(best.volid.indexOf("/") + 1),
        distro: want.distro,
      };
  }
  return undefined;
}
