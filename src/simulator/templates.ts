/**
 * The appliance index (`GET /nodes/{node}/aplinfo`), a few real entries in the shape APLInfo.pm
 * returns (lower-cased aplinfo.dat fields). Sizes are the downloads' approximate real sizes; they are
 * what the volume occupies on `local` once downloaded.
 */
import { createHash } from "node:crypto";

export interface ApplianceTemplate {
  template: string;
  package: string;
  version: string;
  type: "lxc";
  os: string;
  section: string;
  headline: string;
  description: string;
  infopage: string;
  location: string;
  source: string;
  architecture: string;
  maintainer: string;
  sha512sum: string;
  /** Not part of aplinfo: bytes occupied once downloaded. */
  sizeBytes: number;
  /** Not part of aplinfo: `ostype` detected after extraction. */
  ostype: string;
}

const MIB = 1024 * 1024;

function entry(
  template: string,
  os: string,
  ostype: string,
  headline: string,
  maintainer: string,
  sizeBytes: number,
): ApplianceTemplate {
  const m = /^(.+)_([^_]+)_amd64\.tar\.\w+$/.exec(template);
  return {
    template,
    package: m?.[1] ?? template,
    version: m?.[2] ?? "1",
    type: "lxc",
    os,
    section: "system",
    headline,
    description: `${headline} (simulated appliance index entry).`,
    infopage: "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions",
    location: `http://download.proxmox.com/images/system/${template}`,
    source: `http://download.proxmox.com/images/system/${template}`,
    architecture: "amd64",
    maintainer,
    // A stable fake digest: 128 hex chars derived from the name (not the real file's digest).
    sha512sum: createHash("sha512").update(template).digest("hex"),
    sizeBytes,
    ostype,
  };
}

const PROXMOX = "Proxmox Support Team <support@proxmox.com>";

/** Entries every index has (system section). */
const COMMON: ApplianceTemplate[] = [
  entry(
    "alpine-3.22-default_20250617_amd64.tar.xz",
    "alpine-3.22",
    "alpine",
    "Alpine Linux 3.22",
    PROXMOX,
    Math.round(3.1 * MIB),
  ),
  entry(
    "debian-12-standard_12.12-1_amd64.tar.zst",
    "debian-12",
    "debian",
    "Debian 12 Bookworm (standard)",
    PROXMOX,
    Math.round(123.4 * MIB),
  ),
  entry(
    "ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
    "ubuntu-24.04",
    "ubuntu",
    "Ubuntu 24.04 Noble (standard)",
    PROXMOX,
    Math.round(141.2 * MIB),
  ),
  entry(
    "rockylinux-9-default_20240912_amd64.tar.xz",
    "rockylinux-9",
    "centos",
    "Rockylinux 9 (default)",
    PROXMOX,
    Math.round(116.7 * MIB),
  ),
];

/** Added to the PVE 9 index (aplinfo-pve-9.dat). */
const PVE9_ONLY: ApplianceTemplate[] = [
  entry(
    "alpine-3.23-default_20260116_amd64.tar.xz",
    "alpine-3.23",
    "alpine",
    "Alpine Linux 3.23",
    PROXMOX,
    Math.round(3.3 * MIB),
  ),
  entry(
    "debian-13-standard_13.1-2_amd64.tar.zst",
    "debian-13",
    "debian",
    "Debian 13 Trixie (standard)",
    PROXMOX,
    Math.round(129.8 * MIB),
  ),
];

/**
 * TurnKey Linux appliances (`section: turnkeylinux`): many `debian-12-turnkey-*` names, so a prefix match
 * on "debian-12-" picks one of them.
 */
const TURNKEY: ApplianceTemplate[] = [
  ["gitea", "18.0-1", 281.5],
  ["nextcloud", "18.1-1", 498.2],
  ["wordpress", "18.0-1", 312.9],
  ["core", "18.0-1", 221.4],
  ["mediaserver", "18.0-1", 402.3],
  ["odoo", "18.0-1", 610.7],
].map(([app, version, mib]) => {
  const e = entry(
    `debian-12-turnkey-${app}_${version}_amd64.tar.gz`,
    "debian-12",
    "debian",
    `TurnKey ${String(app).charAt(0).toUpperCase()}${String(app).slice(1)}`,
    "Turnkey Linux <support@turnkeylinux.org>",
    Math.round(Number(mib) * MIB),
  );
  const location = `http://mirror.turnkeylinux.org/turnkeylinux/images/proxmox/${e.template}`;
  return {
    ...e,
    section: "turnkeylinux",
    infopage: `https://www.turnkeylinux.org/${app}`,
    location,
    source: location,
  };
});

/** The appliance index of a PVE release, in a stable order (the API shuffles it). */
export function appliancesFor(major: 8 | 9): ApplianceTemplate[] {
  return [...COMMON, ...(major >= 9 ? PVE9_ONLY : []), ...TURNKEY];
}

export function findAppliance(name: string, major: 8 | 9 = 9): ApplianceTemplate | undefined {
  return appliancesFor(major).find((a) => a.template === name);
}

/** "debian-13-standard_13.1-2_amd64.tar.zst" → "debian-13" (what the guest runs); undefined if unknown. */
export function distroOf(templateFile: string): string | undefined {
  return /^(debian-\d+|alpine-\d+\.\d+|ubuntu-\d+\.\d+|rockylinux-\d+)/.exec(templateFile)?.[1];
}

/** "t" + compressor, as Plugin.pm names the format of a vztmpl file. */
export function templateFormat(file: string): string {
  const m = /\.tar\.(gz|xz|zst|bz2)$/.exec(file);
  return m ? `t${m[1] === "zst" ? "zst" : m[1]}` : "tgz";
}
