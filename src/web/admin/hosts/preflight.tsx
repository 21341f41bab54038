/**
 * The result of a host test (POST /hosts/{id}/test) for the Hosts page: whether Proximity reached the
 * cluster, then each preflight check in plain words with what was found and, when something is wrong, the
 * command or setting that fixes it.
 */
import type { FC } from "hono/jsx";
import type { HostTestResult } from "../../../features/hosts/hosts.schemas.ts";

type Check = NonNullable<HostTestResult["checks"]>[number];

const NODE_CHECKS: Record<string, string> = {
  reachable: "online and reachable",
  bridge: "network bridge",
  "lxc-pve": "LXC version (lxc-pve)",
  templates: "container templates",
  "ssh and pct": "SSH login and pct",
  "rootfs storage": "storage for container disks",
  "templates storage": "storage for templates",
  "backups storage": "storage for backups",
};

/** A check's id as a person would say it: "node pve1: rootfs storage" → "Node pve1: storage for …". */
function checkTitle(name: string): string {
  if (name === "pve_version") return "Proxmox VE version";
  if (name === "privileges") return "Privileges of the API token or user";
  const node = /^node (\S+): (.+)$/.exec(name);
  if (node) return `Node ${node[1]}: ${NODE_CHECKS[node[2]!] ?? node[2]}`;
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const SEVERITY_LABEL = { ok: "OK", warning: "Warning", error: "Problem" } as const;
const SEVERITY_BADGE = { ok: "running", warning: "busy", error: "error" } as const;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

const CheckItem: FC<{ check: Check }> = ({ check }) => (
  <li data-check={check.name} data-severity={check.severity}>
    <span class={`badge ${SEVERITY_BADGE[check.severity]}`}>{SEVERITY_LABEL[check.severity]}</span>{" "}
    <strong>{checkTitle(check.name)}</strong>
    <br />
    <span>{check.detail}</span>
    {check.fix && check.severity !== "ok" ? (
      <div class="fix">
        To fix: <code>{check.fix}</code>
      </div>
    ) : null}
  </li>
);

export const HostTestPanel: FC<{ result: HostTestResult }> = ({ result }) => {
  const checks = result.checks ?? [];
  if (result.version === undefined) {
    // Not even connected: the reason in words (unreachable, TLS, credentials…).
    return (
      <p class="reason" role="alert">
        Connection failed: {result.reason ?? "no answer"}
      </p>
    );
  }
  // Problems first, then warnings (each with its fix, in sight); then what is fine.
  const problems = [
    ...checks.filter((c) => c.severity === "error"),
    ...checks.filter((c) => c.severity === "warning"),
  ];
  const passed = checks.filter((c) => c.severity === "ok");
  const failed = checks.filter((c) => c.severity === "error").length;
  const warnings = checks.filter((c) => c.severity === "warning").length;
  const connected = `Connected: Proxmox VE ${result.version}, ${plural(result.node_count ?? 0, "node")}, answered in ${Math.round(result.duration_ms)} ms.`;
  return (
    <section class="preflight" aria-label="Host test result">
      {failed > 0 ? (
        <p class="reason" role="alert">
          {connected} Not ready: {plural(failed, "check")} failed. Deploys to this host are refused until{" "}
          {failed === 1 ? "it is" : "they are"} fixed and the host is tested again.
        </p>
      ) : (
        <p role="status">
          <span class="badge running">Ready</span> {connected}{" "}
          {warnings > 0
            ? `Every check passed, with ${plural(warnings, "warning")}.`
            : checks.length > 0
              ? "Every check passed."
              : ""}
        </p>
      )}
      {problems.length > 0 ? (
        <ul class="checks">
          {problems.map((check) => (
            <CheckItem check={check} />
          ))}
        </ul>
      ) : null}
      {passed.length > 0 ? (
        // What is fine stays one click away: a healthy cluster does not push the nodes off the screen.
        <details>
          <summary>
            {problems.length > 0 ? "Show the other" : "Show the"} {plural(passed.length, "check")} that passed
          </summary>
          <ul class="checks">
            {passed.map((check) => (
              <CheckItem check={check} />
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
};
