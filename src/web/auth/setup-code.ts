/**
 * First run: the one-time setup code. Until the administrator exists, whoever reaches the port first could
 * claim the instance. A browser on this machine (a loopback address) is the operator's own; anyone else
 * must type the code that Proximity writes to its log the first time such a visitor opens /setup. The code
 * lives in memory only: a restart makes a new one.
 */
import { log } from "../../core/log.ts";

let code: string | undefined;

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

function generate(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join("");
  return `${chars.slice(0, 4)}-${chars.slice(4)}`;
}

/** The code, made and logged on first use. */
export function setupCode(): string {
  if (!code) {
    code = generate();
    log.warn(
      `First run: the setup code is ${code}. Enter it on the setup page to create the administrator (needed from any address other than this machine's).`,
    );
  }
  return code;
}

/** Whether a first-run visitor from this address must give the code. */
export function needsSetupCode(ip: string): boolean {
  return !(ip === "::1" || ip.startsWith("127.") || ip.startsWith("::ffff:127."));
}

/** Compares in constant time, ignoring case, spaces and the dash. */
export function setupCodeMatches(given: string | undefined): boolean {
  const norm = (s: string) => s.toUpperCase().replace(/[\s-]/g, "");
  const a = norm(given ?? "");
  const b = norm(setupCode());
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
