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

export const APPLIANCES: ApplianceTemplate[] = [
  entry(
    "alpine-3.22-default_20250617_amd64.tar.xz",
    "alpine-3.22",
    "alpine",
    "Alpine Linux 3.22",
    "Proxmox Support Team <support@proxmox.com>",
    Math.round(3.1 * MIB),
  ),
  entry(
    "debian-12-standard_12.12-1_amd64.tar.zst",
    "debian-12",
    "debian",
    "Debian 12 Bookworm (standard)",
    "Proxmox Support Team <support@proxmox.com>",
    Math.round(123.4 * MIB),
  ),
  entry(
    "ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
    "ubuntu-24.04",
    "ubuntu",
    "Ubuntu 24.04 Noble (standard)",
    "Proxmox Support Team <support@proxmox.com>",
    Math.round(141.2 * MIB),
  ),
  entry(
    "rockylinux-9-default_20240912_amd64.tar.xz",
    "rockylinux-9",
    "centos",
    "Rockylinux 9 (default)",
    "Proxmox Support Team <support@proxmox.com>",
    Math.round(116.7 * MIB),
  ),
];

export function findAppliance(name: string): ApplianceTemplate | undefined {
  return APPLIANCES.find((a) => a.template === name);
}

/** "t" + compressor, as Plugin.pm names the format of a vztmpl file. */
export function templateFormat(file: string): string {
  const m = /\.tar\.(gz|xz|zst|bz2)$/.exec(file);
  return m ? `t${m[1] === "zst" ? "zst" : m[1]}` : "tgz";
}
