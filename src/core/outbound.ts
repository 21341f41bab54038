/**
 * Where the server may send a request that an administrator configured (a notification channel, a store's
 * archive URL). LAN and loopback targets are allowed (a Gotify or SMTP server next to Proximity is the common
 * case); link-local and cloud metadata addresses are not, since reaching those from the server is the classic
 * way to read its cloud credentials. Callers check when the target is saved and again before each request (a
 * name may resolve elsewhere later).
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

const METADATA_HOSTS = new Set(["metadata.google.internal", "metadata", "instance-data"]);

/** Why an address is refused, or undefined. */
export function addressProblem(address: string): string | undefined {
  const a = address.toLowerCase().replace(/^\[|\]$/g, "");
  const v = isIP(a);
  if (v === 4) {
    if (a.startsWith("169.254.")) return "a link-local address";
    if (a === "100.100.100.200") return "a cloud metadata address";
    return undefined;
  }
  if (v === 6) {
    // fe80::/10: the first group is fe80 to febf.
    if (/^fe[89ab][0-9a-f]:/.test(a)) return "a link-local address";
    if (a.startsWith("fd00:ec2::")) return "a cloud metadata address";
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    if (mapped) return addressProblem(mapped[1]!);
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
    if (hex) {
      const [hi, lo] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)];
      return addressProblem(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
  }
  return undefined;
}

/**
 * Why sending to `host` is refused (its name, its address, or what it resolves to), or undefined. A name
 * that does not resolve is a problem when sending, not when saving (`unresolved: "allow"`): the server may
 * just be down for now.
 */
export async function hostProblem(
  host: string,
  options: { unresolved?: "allow" | "refuse" } = {},
): Promise<string | undefined> {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (METADATA_HOSTS.has(h)) return `${host} is a cloud metadata address`;
  const direct = addressProblem(h);
  if (direct) return `${host} is ${direct}`;
  if (isIP(h)) return undefined;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(h, { all: true });
  } catch {
    return options.unresolved === "allow" ? undefined : `${host} does not resolve`;
  }
  for (const { address } of addresses) {
    const problem = addressProblem(address);
    if (problem) return `${host} resolves to ${problem} (${address})`;
  }
  return undefined;
}
