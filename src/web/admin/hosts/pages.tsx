/** The Hosts page: each Proxmox host with its nodes (memory and disk bars), test, sync, edit, delete; add. */
import type { FC } from "hono/jsx";
import type { ProxmoxHost } from "../../../db/schema.ts";
import type { PublicNode } from "../../../features/hosts/hosts.schemas.ts";
import {
  bytes,
  Empty,
  type FieldErrors,
  InputField,
  Layout,
  type PageContext,
  PostButton,
  SwapForm,
  when,
} from "../../kit/index.ts";

const Meter: FC<{ label: string; total: number | null; used: number | null; reserved?: number }> = ({
  label,
  total,
  used,
  reserved,
}) => {
  if (!total) return <p class="muted">{label}: unknown</p>;
  const u = Math.min(100, ((used ?? 0) / total) * 100);
  const r = Math.min(100 - u, ((reserved ?? 0) / total) * 100);
  const free = Math.max(0, total - (used ?? 0));
  return (
    <div>
      <div class="bar-label">
        <span>{label}</span>
        <span>
          {bytes(used)} used{reserved !== undefined ? `, ${bytes(reserved)} reserved by Proximity` : ""},{" "}
          {bytes(free)} free of {bytes(total)}
        </span>
      </div>
      <svg
        class="meter"
        viewBox="0 0 100 4"
        preserveAspectRatio="none"
        role="img"
        aria-label={`${label}: ${Math.round(u)}% used`}
      >
        <rect class="free" width="100" height="4" />
        <rect class="used" width={u.toFixed(2)} height="4" />
        {r > 0 ? <rect class="reserved" x={u.toFixed(2)} width={r.toFixed(2)} height="4" /> : null}
      </svg>
    </div>
  );
};

const NodeCard: FC<{ node: PublicNode; reserved: number }> = ({ node: n, reserved }) => {
  const disk = n.storage.find((s) => s.content.includes("rootdir")) ?? n.storage[0];
  return (
    <section>
      <h4>
        {n.name} <span class={`badge ${n.status === "online" ? "running" : "error"}`}>{n.status}</span>
      </h4>
      <div class="bars">
        <Meter
          label="Memory"
          total={n.memory_total}
          used={n.memory_total !== null && n.memory_free !== null ? n.memory_total - n.memory_free : null}
          reserved={reserved}
        />
        {disk ? (
          <Meter
            label={`Disk (${disk.storage})`}
            total={disk.total}
            used={disk.total !== null && disk.avail !== null ? disk.total - disk.avail : null}
          />
        ) : null}
        <p class="legend">
          CPU:{" "}
          {n.cpu_usage === null ? "unknown" : `${Math.round(n.cpu_usage * 100)}% of ${n.cores ?? "?"} cores`}
          <i class="used" />
          used
          <i class="reserved" />
          reserved by Proximity
        </p>
      </div>
    </section>
  );
};

/** The values a host form shows (its inputs carry the API's field names). */
export type HostValues = Record<string, string>;

function hostValues(h: ProxmoxHost): HostValues {
  return {
    name: h.name,
    api_url: h.apiUrl,
    token_id: h.tokenId ?? "",
    username: h.username ?? "",
    fingerprint: h.fingerprint ?? "",
    "ssh.host": h.sshHost ?? "",
    "ssh.port": String(h.sshPort),
    "ssh.username": h.sshUsername,
  };
}

/** A host field, filled from `values`; a secret is never shown again (blank keeps the stored one). */
const Input: FC<{
  name: string;
  label: string;
  values: HostValues;
  errors: FieldErrors;
  type?: string;
  placeholder?: string;
  help?: string | undefined;
}> = ({ name, label, values, errors, type = "text", placeholder, help }) => {
  const secret = type === "password";
  return (
    <InputField
      label={label}
      name={name}
      errors={errors}
      type={type}
      value={secret ? "" : (values[name] ?? "")}
      placeholder={placeholder}
      autocomplete={secret ? "new-password" : "off"}
      spellcheck={false}
      help={help}
    />
  );
};

/** Add a host (no `host`) or change one (blank secrets are kept). */
export const HostForm: FC<{ host?: ProxmoxHost; values: HostValues; errors: FieldErrors; csrf: string }> = ({
  host,
  values,
  errors,
  csrf,
}) => {
  const keep = host ? "Leave blank to keep the stored one." : undefined;
  // Every field shows what was typed (or stored) and its error.
  const f = { values, errors };
  return (
    <SwapForm
      id={host ? `host-form-${host.id}` : "host-form"}
      hx-post={host ? `/hosts/${host.id}` : "/hosts"}
      csrf={csrf}
      errors={errors}
    >
      <div class="grid">
        <Input {...f} name="name" label="Name" placeholder="homelab" help="Letters, digits, spaces, . _ -" />
        <Input {...f} name="api_url" label="API URL" type="url" placeholder="https://pve.lan:8006" />
      </div>
      <fieldset>
        <legend>Authentication: an API token, or a user and password</legend>
        <div class="grid">
          <Input {...f} name="token_id" label="Token id" placeholder="proximity@pve!app" />
          <Input {...f} name="token_secret" label="Token secret" type="password" help={keep} />
        </div>
        <div class="grid">
          <Input {...f} name="username" label="User" placeholder="root@pam" />
          <Input {...f} name="password" label="Password" type="password" help={keep} />
        </div>
      </fieldset>
      <Input
        {...f}
        name="fingerprint"
        label="TLS certificate fingerprint (SHA-256, for a self-signed certificate)"
        placeholder="AB:CD:…"
      />
      <fieldset>
        <legend>SSH (runs commands inside containers)</legend>
        <div class="grid">
          <Input {...f} name="ssh.host" label="Host" placeholder="defaults to the API host" />
          <Input {...f} values={{ "ssh.port": "22", ...values }} name="ssh.port" label="Port" type="number" />
          <Input {...f} values={{ "ssh.username": "root", ...values }} name="ssh.username" label="User" />
          <Input {...f} name="ssh.password" label="Password" type="password" help={keep} />
        </div>
      </fieldset>
      <button type="submit">{host ? "Save changes" : "Add host"}</button>
    </SwapForm>
  );
};

export const HostCard: FC<{
  host: ProxmoxHost;
  nodes: PublicNode[];
  reserved: Map<string, number>;
  csrf: string;
}> = ({ host: h, nodes, reserved, csrf }) => (
  <article id={`host-${h.id}`}>
    <header>
      <h2 class="host-name">
        {h.name}{" "}
        <span
          class={`badge ${h.status === "online" ? "running" : h.status === "error" ? "error" : "unknown"}`}
        >
          {h.status}
        </span>
      </h2>
      {h.isSimulator ? (
        <p class="note">The simulated demo cluster: nothing here touches a real server.</p>
      ) : null}
    </header>
    <dl class="facts">
      <dt>API</dt>
      <dd>{h.apiUrl}</dd>
      <dt>Version</dt>
      <dd>{h.pveVersion ?? "–"}</dd>
      <dt>Last sync</dt>
      <dd>{when(h.lastSyncedAt)}</dd>
      {h.lastError ? (
        <>
          <dt>Last error</dt>
          <dd class="reason">{h.lastError}</dd>
        </>
      ) : null}
    </dl>
    <div class="actions-row">
      <button type="button" class="secondary" hx-post={`/hosts/${h.id}/test`} hx-target={`#test-${h.id}`}>
        Test connection
      </button>
      <button
        type="button"
        class="secondary"
        hx-post={`/hosts/${h.id}/sync`}
        hx-target={`#host-${h.id}`}
        hx-swap="outerHTML"
      >
        Sync now
      </button>
      <PostButton
        post={`/hosts/${h.id}/delete`}
        confirm={`Remove ${h.name} from Proximity? Its containers on Proxmox are not touched.`}
        class="secondary"
      >
        Remove
      </PostButton>
    </div>
    <p>
      <a href={`/hosts/${h.id}/unmanaged`}>Unmanaged containers</a>: what runs on {h.name} that Proximity does
      not manage yet (made by the community helper scripts or by hand), to adopt.
    </p>
    <div id={`test-${h.id}`} aria-live="polite" />
    <h3>Nodes</h3>
    {nodes.length === 0 ? (
      <p class="muted" id={`no-nodes-${h.id}`}>
        {h.status === "error"
          ? "No nodes known: Proximity could not reach this host (see the last error). Fix the settings below, then Test connection."
          : "No nodes known yet: Sync now reads them from Proxmox."}
      </p>
    ) : (
      nodes.map((n) => <NodeCard node={n} reserved={reserved.get(`${h.id}/${n.name}`) ?? 0} />)
    )}
    <details>
      <summary>Edit</summary>
      <HostForm host={h} values={hostValues(h)} errors={{}} csrf={csrf} />
    </details>
  </article>
);

export const HostsPage: FC<{
  page: PageContext;
  hosts: ProxmoxHost[];
  nodes: PublicNode[];
  reserved: Map<string, number>;
}> = ({ page, hosts, nodes, reserved }) => (
  <Layout title="Hosts" page={page}>
    <h1>Proxmox hosts</h1>
    {hosts.length === 0 ? (
      <Empty title="No Proxmox host yet">
        <p>
          Add your Proxmox VE cluster below: Proximity needs an API token (or a user and password) and SSH.
        </p>
      </Empty>
    ) : (
      hosts.map((h) => (
        <HostCard
          host={h}
          nodes={nodes.filter((n) => n.host_id === h.id)}
          reserved={reserved}
          csrf={page.csrf}
        />
      ))
    )}
    <details open={hosts.length === 0}>
      <summary class="secondary">Add a host</summary>
      <HostForm values={{}} errors={{}} csrf={page.csrf} />
    </details>
  </Layout>
);
