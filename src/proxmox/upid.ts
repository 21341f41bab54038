/**
 * UPID = UPID:<node>:<pid %08X>:<pstart %08X, 9 digits after 497 days>:<starttime %08X>:<type>:<id>:<user>:
 * (pve-common Tools.pm upid_encode). The regex is PVE's own, so anything it rejects PVE rejects too.
 */
const UPID_RE =
  /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

export interface ParsedUpid {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  /** Epoch seconds. */
  starttime: number;
  /** Task type: vzcreate, vzstart, vzdump, download, imgdel … */
  type: string;
  /** Usually the vmid; empty for multi-guest vzdump. */
  id: string;
  /** The full token id for token callers (root@pam!proximity). */
  user: string;
}

export function parseUpid(upid: string): ParsedUpid {
  const m = UPID_RE.exec(upid);
  if (!m) throw new TypeError(`not a UPID: ${JSON.stringify(upid.slice(0, 120))}`);
  return {
    upid,
    node: m[1]!,
    pid: Number.parseInt(m[3]!, 16),
    pstart: Number.parseInt(m[4]!, 16),
    starttime: Number.parseInt(m[5]!, 16),
    type: m[6]!,
    id: m[7]!,
    user: m[8]!,
  };
}

export function isUpid(value: unknown): value is string {
  return typeof value === "string" && UPID_RE.test(value);
}
