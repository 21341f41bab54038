/**
 * Which Proxmox VE release the simulator plays. 9.2 (Debian 13 "trixie") is current; 8.4 (bookworm) is
 * past its end of life (2026-08) but still common. Everything that differs between them is read from
 * this profile: the version strings, the create defaults, error texts, the appliance index, and the
 * package versions on the nodes.
 */
export type PveRelease = "8.4" | "9.2";
export const PVE_RELEASES: readonly PveRelease[] = ["8.4", "9.2"];

export interface PveProfile {
  release: PveRelease;
  major: 8 | 9;
  /** `GET /version`. */
  version: string;
  repoid: string;
  kernel: string;
  /** The Debian codename the nodes run. */
  debian: "bookworm" | "trixie";
  /** lxc-pve on the nodes: 6.0.5-2 carries the fix for Docker after the Nov-2025 runc change. */
  lxcPve: string;
  /** pve-container on the nodes. */
  pveContainer: string;
}

const PROFILES: Record<PveRelease, PveProfile> = {
  "8.4": {
    release: "8.4",
    major: 8,
    version: "8.4.21",
    repoid: "3ad5e0f2e2b6b1cf",
    kernel: "6.8.12-16-pve",
    debian: "bookworm",
    lxcPve: "6.0.0-1",
    pveContainer: "5.3.5",
  },
  "9.2": {
    release: "9.2",
    major: 9,
    version: "9.2.11",
    repoid: "8c6d7c4f5e0a1b2d",
    kernel: "6.17.2-1-pve",
    debian: "trixie",
    lxcPve: "6.0.5-2",
    pveContainer: "6.1.10",
  },
};

export function pveProfile(release: string = "9.2", overrides: { lxcPve?: string } = {}): PveProfile {
  const base = PROFILES[release as PveRelease];
  if (!base) throw new Error(`unsupported PVE release '${release}' (one of ${PVE_RELEASES.join(", ")})`);
  return { ...base, ...(overrides.lxcPve ? { lxcPve: overrides.lxcPve } : {}) };
}

/** Debian version ordering for the few forms used here ("6.0.5-2" vs "6.0.0-1"): numeric per part. */
export function debVersionCompare(a: string, b: string): number {
  const pa = a.split(/[.\-+~]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.\-+~]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
