/**
 * "Will this cluster work?": the checks run by POST /hosts/{id}/test. Each says what was found and, when
 * something is wrong, the command or setting that fixes it. Errors stop deploys on the host (the apps
 * module asks `HostsService.preflightBlocker`); warnings do not.
 */
import {
  compareVersions,
  OS_TEMPLATE_WISHES,
  type PctExecutor,
  type ProxmoxClient,
  ProxmoxError,
  pickAppliance,
  pickStorage,
  pickStored,
  type StorageRole,
  type StorageSetting,
} from "../../proxmox/index.ts";

export type CheckSeverity = "ok" | "warning" | "error";

export interface PreflightCheck {
  name: string;
  ok: boolean;
  severity: CheckSeverity;
  detail: string;
  fix: string | null;
}

export interface PreflightSettings {
  bridge: string;
  storage: Record<StorageRole, StorageSetting>;
}

/** lxc-pve with the AppArmor fix that lets runc ≥ 1.2.8 (Docker's own packages) work in containers. */
export const LXC_PVE_FIXED = "6.0.5-2";

/** What Proximity does, as PVE privileges: path → privileges (see docs/proxmox.md). */
export function requiredPrivileges(
  nodes: string[],
  storages: string[],
  bridge: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {
    "/": ["Sys.Audit"],
    "/vms": [
      "VM.Allocate",
      "VM.Audit",
      "VM.Backup",
      "VM.Clone",
      "VM.Config.CPU",
      "VM.Config.Disk",
      "VM.Config.Memory",
      "VM.Config.Network",
      "VM.Config.Options",
      "VM.PowerMgmt",
      "VM.Snapshot",
      "VM.Snapshot.Rollback",
    ],
    [`/sdn/zones/localnetwork/${bridge}`]: ["SDN.Use"],
  };
  for (const n of nodes) out[`/nodes/${n}`] = ["Sys.Audit"];
  for (const s of storages) {
    out[`/storage/${s}`] = [
      "Datastore.Allocate",
      "Datastore.AllocateSpace",
      "Datastore.AllocateTemplate",
      "Datastore.Audit",
    ];
  }
  return out;
}

const ROLE_PRIVS = [...new Set(Object.values(requiredPrivileges(["n"], ["s"], "b")).flat())].sort();

export function pveumCommands(tokenId: string | null): string {
  const who = tokenId ? `--tokens '${tokenId}'` : "--users '<user@realm>'";
  return `pveum role add Proximity --privs "${ROLE_PRIVS.join(" ")}" && pveum acl modify / ${who} --roles Proximity`;
}

const check = (
  name: string,
  severity: CheckSeverity,
  detail: string,
  fix: string | null = null,
): PreflightCheck => ({ name, ok: severity !== "error", severity, detail, fix });

function message(err: unknown): string {
  return err instanceof ProxmoxError ? err.pveMessage : err instanceof Error ? err.message : String(err);
}

export interface PreflightInput {
  client: ProxmoxClient;
  executor: () => Promise<PctExecutor>;
  authKind: "token" | "ticket";
  tokenId: string | null;
  sshUsername: string;
  settings: PreflightSettings;
}

export async function runPreflight(input: PreflightInput): Promise<PreflightCheck[]> {
  const { client, settings } = input;
  const checks: PreflightCheck[] = [];

  // PVE version.
  const version = await client.version();
  const [major = 0, minor = 0] = version.version.split(".").map(Number);
  if (major >= 9) checks.push(check("pve_version", "ok", `Proxmox VE ${version.version}`));
  else if (major === 8 && minor >= 4)
    checks.push(
      check(
        "pve_version",
        "warning",
        `Proxmox VE ${version.version} works but reached its end of life in August 2026`,
        "Upgrade the cluster to Proxmox VE 9 (pve8to9, then the upgrade guide)",
      ),
    );
  else
    checks.push(
      check(
        "pve_version",
        "error",
        `Proxmox VE ${version.version} is not supported (8.4 or 9.x is needed)`,
        "Upgrade the cluster to Proxmox VE 9",
      ),
    );

  const nodes = await client.listNodes();
  const online = nodes.filter((n) => n.status === "online").map((n) => n.node);

  // Per node: reachable, storages, bridge, package versions, templates, SSH + pct.
  const usedStorages = new Set<string>();
  const templateStorages = new Set<string>();
  for (const n of nodes) {
    if (n.status !== "online") {
      checks.push(
        check(
          `node ${n.node}: reachable`,
          "warning",
          `${n.node} is ${n.status}; apps will not be placed there`,
        ),
      );
      continue;
    }
    let storages: Awaited<ReturnType<ProxmoxClient["listStorage"]>>;
    try {
      storages = await client.listStorage(n.node);
    } catch (err) {
      checks.push(
        check(
          `node ${n.node}: reachable`,
          "warning",
          `${n.node} cannot be reached through the API: ${message(err)}`,
          "Check the cluster network between the nodes (pvecm status)",
        ),
      );
      continue;
    }
    checks.push(check(`node ${n.node}: reachable`, "ok", `${n.node} answers through the API`));
    for (const role of ["rootfs", "templates", "backups"] as const) {
      try {
        const s = pickStorage(storages, role, settings.storage[role], n.node);
        usedStorages.add(s.storage);
        if (role === "templates") templateStorages.add(s.storage);
        checks.push(check(`node ${n.node}: ${role} storage`, "ok", `${s.storage} (${s.type})`));
      } catch (err) {
        checks.push(
          check(
            `node ${n.node}: ${role} storage`,
            "error",
            message(err),
            "Enable the content type on a storage (Datacenter → Storage → Edit → Content), or set another storage in Proximity's settings",
          ),
        );
      }
    }
    try {
      const bridges = await client.nodeNetwork(n.node, "any_bridge");
      const found = bridges.some((b) => b.iface === settings.bridge && b.active !== 0);
      checks.push(
        found
          ? check(`node ${n.node}: bridge`, "ok", `${settings.bridge} exists and is active`)
          : check(
              `node ${n.node}: bridge`,
              "error",
              `${n.node} has no active bridge ${settings.bridge} (it has ${bridges.map((b) => b.iface).join(", ") || "none"})`,
              "Create the bridge on the node, or set the bridge in Proximity's settings",
            ),
      );
    } catch (err) {
      checks.push(
        check(`node ${n.node}: bridge`, "warning", `Could not list the node's bridges: ${message(err)}`),
      );
    }
    try {
      const versions = await client.aptVersions(n.node);
      const lxc = versions.find((p) => p.Package === "lxc-pve")?.Version;
      if (!lxc) checks.push(check(`node ${n.node}: lxc-pve`, "warning", "lxc-pve version not reported"));
      else if (compareVersions(lxc, LXC_PVE_FIXED) < 0)
        checks.push(
          check(
            `node ${n.node}: lxc-pve`,
            "warning",
            `lxc-pve ${lxc} is older than ${LXC_PVE_FIXED}: Docker's own packages (runc ≥ 1.2.8) cannot start containers there ("ip_unprivileged_port_start … permission denied")`,
            `On ${n.node}: apt update && apt full-upgrade`,
          ),
        );
      else checks.push(check(`node ${n.node}: lxc-pve`, "ok", `lxc-pve ${lxc}`));
    } catch (err) {
      checks.push(
        check(
          `node ${n.node}: lxc-pve`,
          "warning",
          `Could not read the node's package versions: ${message(err)}`,
          "Grant Sys.Audit on /nodes",
        ),
      );
    }
    try {
      const index = await client.aplinfo(n.node);
      const missing = Object.entries(OS_TEMPLATE_WISHES)
        .filter(([, wish]) => !pickAppliance(index, wish))
        .map(([os]) => os);
      const tmpl = storages.find((s) => (s.content ?? "").split(",").includes("vztmpl"));
      const stored = tmpl ? await client.storageContent(n.node, tmpl.storage, "vztmpl").catch(() => []) : [];
      const stillMissing = missing.filter(
        (os) => !pickStored(stored, OS_TEMPLATE_WISHES[os as keyof typeof OS_TEMPLATE_WISHES]),
      );
      checks.push(
        stillMissing.length === 0
          ? check(`node ${n.node}: templates`, "ok", "Alpine and Debian standard templates are available")
          : check(
              `node ${n.node}: templates`,
              "warning",
              `No template for ${stillMissing.join(", ")} in the appliance index`,
              `On ${n.node}: pveam update`,
            ),
      );
    } catch (err) {
      checks.push(
        check(`node ${n.node}: templates`, "warning", `Could not read the appliance index: ${message(err)}`),
      );
    }
    try {
      const exec = await input.executor();
      const result = await exec.checkPct(n.node);
      const asRoot = input.sshUsername === "root";
      checks.push(
        result.exitCode === 0
          ? check(
              `node ${n.node}: ssh and pct`,
              "ok",
              asRoot ? "pct runs as root" : `pct runs through sudo -n as ${input.sshUsername}`,
            )
          : check(
              `node ${n.node}: ssh and pct`,
              "error",
              `pct is not usable by ${input.sshUsername}: ${result.stderr.trim() || `exit ${result.exitCode}`}`,
              asRoot
                ? "Check that pct works on the node"
                : `Use root, or allow it without a password: echo '${input.sshUsername} ALL=(root) NOPASSWD: /usr/sbin/pct' > /etc/sudoers.d/proximity`,
            ),
      );
    } catch (err) {
      checks.push(
        check(
          `node ${n.node}: ssh and pct`,
          "error",
          `SSH to ${n.node} failed: ${message(err)}`,
          "Check the SSH address, port and credentials of the host",
        ),
      );
    }
  }

  // Privileges (tokens with privilege separation; root@pam by ticket has them all).
  if (input.authKind === "token" && input.tokenId) {
    const needed = requiredPrivileges(online, [...usedStorages], settings.bridge);
    const missing: string[] = [];
    for (const [path, privs] of Object.entries(needed)) {
      const have = await client
        .permissions({ path, userid: input.tokenId })
        .catch(() => ({}) as Record<string, Record<string, number>>);
      const got = have[path] ?? {};
      const lacking = privs.filter((p) => !(p in got));
      if (lacking.length) missing.push(`${path}: ${lacking.join(", ")}`);
    }
    checks.push(
      missing.length === 0
        ? check("privileges", "ok", "The token has every privilege Proximity needs")
        : check("privileges", "error", `The token lacks ${missing.join("; ")}`, pveumCommands(input.tokenId)),
    );
  } else {
    checks.push(check("privileges", "ok", "Ticket login: the user's own privileges apply"));
  }
  checks.push(await ociCheck(input, version.version, online, [...templateStorages]));
  return checks;
}

/** The privileges an OCI image pull needs (PVE's oci-registry-pull), beyond the Docker runtime's. */
export const OCI_PRIVILEGES = ["Sys.AccessNetwork", "Datastore.AllocateTemplate"] as const;

/**
 * "OCI containers": can apps run as native application containers (PVE ≥ 9.1, a technology preview)?
 * Never an error: the Docker runtime works without it, so the host stays usable either way.
 */
async function ociCheck(
  input: PreflightInput,
  version: string,
  nodes: string[],
  templateStorages: string[],
): Promise<PreflightCheck> {
  const name = "oci_containers";
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < 9 || (major === 9 && minor < 1)) {
    return check(
      name,
      "warning",
      `Proxmox VE ${version} cannot create containers from OCI images (9.1 or later); apps use the Docker runtime`,
      "Upgrade the cluster to Proxmox VE 9.1 or later",
    );
  }
  if (templateStorages.length === 0) {
    return check(
      name,
      "warning",
      "No storage holds templates, so OCI images have nowhere to be pulled to; apps use the Docker runtime",
      "Enable the content type 'Container template' on a directory storage (Datacenter → Storage → Edit → Content)",
    );
  }
  const ready = `Proxmox VE ${version} can run single-service apps as OCI containers (technology preview)`;
  if (input.authKind !== "token" || !input.tokenId) {
    return check(name, "ok", `${ready}; ticket login: the user's own privileges apply`);
  }
  const wanted: [string, string][] = [
    ...nodes.map((n): [string, string] => [`/nodes/${n}`, "Sys.AccessNetwork"]),
    ...templateStorages.map((s): [string, string] => [`/storage/${s}`, "Datastore.AllocateTemplate"]),
  ];
  const missing: string[] = [];
  for (const [path, priv] of wanted) {
    const have = await input.client
      .permissions({ path, userid: input.tokenId })
      .catch(() => ({}) as Record<string, Record<string, number>>);
    if (!(priv in (have[path] ?? {}))) missing.push(`${path}: ${priv}`);
  }
  if (missing.length === 0) return check(name, "ok", `${ready}; the token may pull images`);
  return check(
    name,
    "warning",
    `The token lacks ${missing.join("; ")}, so it cannot pull OCI images; apps use the Docker runtime`,
    `pveum role add ProximityOCI --privs "${OCI_PRIVILEGES.join(" ")}" && pveum acl modify / --tokens '${input.tokenId}' --roles ProximityOCI`,
  );
}
