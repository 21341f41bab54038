/** Why a host could not be reached, in words an admin can act on (host tests and failed syncs). */
import { ProxmoxError } from "../../proxmox/index.ts";

/** A failure explained in words an admin can act on. */
export function explainFailure(err: unknown, apiUrl: string): { reason: string; kind: string } {
  const target = URL.canParse(apiUrl) ? new URL(apiUrl).host : apiUrl;
  if (!(err instanceof ProxmoxError)) {
    return { reason: err instanceof Error ? err.message : String(err), kind: "unknown" };
  }
  const errno = err.errno ?? "";
  switch (err.kind) {
    case "unreachable":
      if (errno === "ENOTFOUND" || errno === "EAI_AGAIN" || /getaddrinfo|DNS/i.test(err.pveMessage)) {
        return { reason: `DNS lookup failed: ${target} does not resolve`, kind: "dns" };
      }
      if (errno === "ECONNREFUSED" || /refused/i.test(err.pveMessage)) {
        return {
          reason: `Connection refused by ${target}: is pveproxy running on that port?`,
          kind: "refused",
        };
      }
      return { reason: `${target} is unreachable: ${err.pveMessage}`, kind: "unreachable" };
    case "tls":
      return /pin|fingerprint/i.test(err.pveMessage)
        ? {
            reason: `TLS certificate of ${target} does not match the pinned fingerprint`,
            kind: "tls_mismatch",
          }
        : {
            reason: `TLS certificate of ${target} was rejected (${err.pveMessage}); pin its SHA-256 fingerprint for a self-signed certificate`,
            kind: "tls",
          };
    case "auth":
      // A 403 is a missing privilege, with PVE's own text naming the path and privilege.
      if (err.pveStatus === 403) {
        return {
          reason: `The token or user lacks a privilege: ${err.pveMessage} (grant it with pveum acl modify; see the host's preflight test)`,
          kind: "permission",
        };
      }
      return {
        reason: `Proxmox refused the credentials (HTTP ${err.pveStatus || 401}): check the token id and secret, or username and password`,
        kind: "auth",
      };
    case "timeout":
      return { reason: `${target} did not answer in time`, kind: "timeout" };
    default:
      return { reason: `Proxmox answered ${err.pveStatus}: ${err.pveMessage}`, kind: err.kind };
  }
}
