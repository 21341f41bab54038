/** Administrator pages (hosts and nodes, users, settings, audit log) and everyone's account page. */

import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Hono } from "hono";
import { ForbiddenError, UnauthenticatedError, ValidationError } from "../core/errors.ts";
import type { UserActor } from "../core/identity.ts";
import { CreateHostBody } from "../features/hosts/hosts.schemas.ts";
import { SettingsUpdateSchema } from "../features/settings/settings.schemas.ts";
import { PasswordSchema, UsernameSchema } from "../features/users/users.schemas.ts";
import { clientIpOf } from "../http/context.ts";
import { zodDetails } from "../http/openapi.ts";
import type { WebEnv } from "./context.ts";
import { HostTestPanel } from "./pages/preflight.tsx";
import { clearSessionCookie } from "./session.ts";
import { bytes, Csrf, Empty, Layout, type PageContext, ToastPartial, when } from "./ui.tsx";

type C = Context<WebEnv>;

function page(c: C, active: string): PageContext {
  return { viewer: c.get("viewer"), csrf: c.get("csrfToken"), theme: c.get("theme"), active };
}

function signedIn(c: C) {
  const v = c.get("viewer");
  if (!v) throw new UnauthenticatedError("Sign in to continue");
  return v;
}

function admin(c: C) {
  const v = signedIn(c);
  if (v.role !== "admin") throw new ForbiddenError("This page is for administrators");
  return v;
}

function actor(c: C): UserActor {
  return { user: admin(c), ip: clientIpOf(c) };
}

async function form(c: C): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}

function ok(c: C, message: string, status = 200) {
  return c.html(<ToastPartial message={message} ok />, status as 200);
}

function problem(c: C, err: ValidationError) {
  const details = (err.details ?? []).map((d) => `${d.field}: ${d.message}`).join("; ");
  return c.html(
    <ToastPartial
      message={details ? `${err.message} — ${details}` : err.message}
      requestId={c.get("requestId")}
    />,
    422,
  );
}

const Meter = ({
  label,
  total,
  used,
  reserved,
}: {
  label: string;
  total: number | null;
  used: number | null;
  reserved?: number;
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

export function adminRoutes() {
  const r = new Hono<WebEnv>();

  // --- Hosts and nodes -----------------------------------------------------------------------------------
  r.get("/hosts", async (c) => {
    admin(c);
    const services = c.get("services");
    const [hosts, nodes, apps] = await Promise.all([
      services.hosts.list(),
      services.hosts.listNodes(),
      services.apps.list(signedIn(c), { page: 1, perPage: 100 }),
    ]);
    const reserved = new Map<string, number>();
    for (const a of apps.items) {
      if (a.node)
        reserved.set(
          `${a.hostId}/${a.node}`,
          (reserved.get(`${a.hostId}/${a.node}`) ?? 0) + a.resources.memory_mb * 1024 ** 2,
        );
    }
    return c.html(
      <Layout title="Hosts" page={page(c, "/hosts")}>
        <h1>Proxmox hosts</h1>
        {hosts.length === 0 ? (
          <Empty title="No Proxmox host yet">
            <p>
              Add your Proxmox VE cluster below: Proximity needs an API token (or a user and password) and
              SSH.
            </p>
          </Empty>
        ) : (
          hosts.map((h) => (
            <article id={`host-${h.id}`}>
              <header>
                <strong>{h.name}</strong>{" "}
                <span
                  class={`badge ${h.status === "online" ? "running" : h.status === "error" ? "error" : "unknown"}`}
                >
                  {h.status}
                </span>
                {h.isSimulator ? <span class="muted"> (simulated demo cluster)</span> : null}
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
                <button
                  type="button"
                  class="secondary"
                  hx-post={`/hosts/${h.id}/test`}
                  hx-target={`#test-${h.id}`}
                >
                  Test connection
                </button>
                <button type="button" class="secondary" hx-post={`/hosts/${h.id}/sync`} hx-swap="none">
                  Sync now
                </button>
              </div>
              <div id={`test-${h.id}`} aria-live="polite" />
              <h3>Nodes</h3>
              {nodes
                .filter((n) => n.host_id === h.id)
                .map((n) => {
                  const disk = n.storage.find((s) => s.content.includes("rootdir")) ?? n.storage[0];
                  return (
                    <section>
                      <h4>
                        {n.name}{" "}
                        <span class={`badge ${n.status === "online" ? "running" : "error"}`}>{n.status}</span>
                      </h4>
                      <div class="bars">
                        <Meter
                          label="Memory"
                          total={n.memory_total}
                          used={
                            n.memory_total !== null && n.memory_free !== null
                              ? n.memory_total - n.memory_free
                              : null
                          }
                          reserved={reserved.get(`${h.id}/${n.name}`) ?? 0}
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
                          {n.cpu_usage === null
                            ? "unknown"
                            : `${Math.round(n.cpu_usage * 100)}% of ${n.cores ?? "?"} cores`}
                          <i class="used" />
                          used
                          <i class="reserved" />
                          reserved by Proximity
                        </p>
                      </div>
                    </section>
                  );
                })}
            </article>
          ))
        )}
        <details open={hosts.length === 0}>
          <summary class="secondary">Add a host</summary>
          <form hx-post="/hosts" hx-swap="none">
            <Csrf token={c.get("csrfToken")} />
            <div class="grid">
              <label>
                Name
                <input name="name" required placeholder="homelab" />
              </label>
              <label>
                API URL
                <input name="api_url" required placeholder="https://pve.lan:8006" />
              </label>
            </div>
            <fieldset>
              <legend>Authentication: an API token, or a user and password</legend>
              <div class="grid">
                <label>
                  Token id
                  <input name="token_id" placeholder="root@pam!proximity" />
                </label>
                <label>
                  Token secret
                  <input name="token_secret" type="password" autocomplete="off" />
                </label>
              </div>
              <div class="grid">
                <label>
                  User
                  <input name="username" placeholder="root@pam" />
                </label>
                <label>
                  Password
                  <input name="password" type="password" autocomplete="off" />
                </label>
              </div>
            </fieldset>
            <label>
              TLS certificate fingerprint (SHA-256, for a self-signed certificate)
              <input name="fingerprint" placeholder="AB:CD:…" />
            </label>
            <fieldset>
              <legend>SSH (runs commands inside containers)</legend>
              <div class="grid">
                <label>
                  Host
                  <input name="ssh_host" placeholder="defaults to the API host" />
                </label>
                <label>
                  Port
                  <input name="ssh_port" type="number" value="22" />
                </label>
                <label>
                  User
                  <input name="ssh_username" value="root" />
                </label>
                <label>
                  Password
                  <input name="ssh_password" type="password" autocomplete="off" />
                </label>
              </div>
            </fieldset>
            <button type="submit">Add host</button>
          </form>
        </details>
      </Layout>,
    );
  });

  r.post("/hosts", async (c) => {
    const f = await form(c);
    const opt = (k: string) => (f[k]?.trim() ? f[k]!.trim() : undefined);
    const parsed = CreateHostBody.safeParse({
      name: f.name,
      api_url: f.api_url,
      ...(opt("token_id") ? { token_id: opt("token_id") } : {}),
      ...(opt("token_secret") ? { token_secret: opt("token_secret") } : {}),
      ...(opt("username") ? { username: opt("username") } : {}),
      ...(opt("password") ? { password: opt("password") } : {}),
      ...(opt("fingerprint") ? { fingerprint: opt("fingerprint") } : {}),
      ssh: {
        ...(opt("ssh_host") ? { host: opt("ssh_host") } : {}),
        port: Number(f.ssh_port || 22),
        username: opt("ssh_username") ?? "root",
        ...(opt("ssh_password") ? { password: opt("ssh_password") } : {}),
      },
    });
    if (!parsed.success)
      return problem(c, new ValidationError("The host is invalid", zodDetails(parsed.error)));
    const host = await c.get("services").hosts.create(parsed.data, actor(c));
    await c
      .get("services")
      .hosts.sync(host.id)
      .catch(() => undefined);
    c.header("HX-Redirect", "/hosts");
    return c.body(null, 204);
  });

  r.post("/hosts/:id/test", async (c) => {
    admin(c);
    const id = c.req.param("id");
    const result = await c.get("services").hosts.test(id);
    // Audited as the API's test is (it records the host's status).
    await c.get("services").audit.record({
      actor: actor(c),
      action: "host.test",
      target: { type: "host", id },
      details: { ok: result.ok },
    });
    return c.html(<HostTestPanel result={result} />);
  });

  r.post("/hosts/:id/sync", async (c) => {
    admin(c);
    await c.get("services").hosts.sync(c.req.param("id"));
    c.header("HX-Redirect", "/hosts");
    return ok(c, "Synced the host.");
  });

  // --- Users ---------------------------------------------------------------------------------------------
  r.get("/users", async (c) => {
    const me = admin(c);
    const { items } = await c.get("services").users.list(1, 100);
    return c.html(
      <Layout title="Users" page={page(c, "/users")}>
        <h1>Users</h1>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">State</th>
                <th scope="col" class="hide-sm">
                  Last sign-in
                </th>
                <th scope="col">
                  <span class="muted">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((u) => (
                <tr id={`user-${u.username}`}>
                  <td>{u.username}</td>
                  <td>{u.role}</td>
                  <td>
                    {u.disabled ? (
                      <span class="badge error">disabled</span>
                    ) : (
                      <span class="badge running">active</span>
                    )}
                  </td>
                  <td class="hide-sm">{when(u.lastLoginAt)}</td>
                  <td class="actions">
                    {u.id === me.id ? (
                      <span class="muted">you</span>
                    ) : (
                      <>
                        <button
                          type="button"
                          class="secondary small"
                          hx-post={`/users/${u.id}/disabled`}
                          hx-vals={JSON.stringify({ disabled: String(!u.disabled) })}
                          hx-swap="none"
                        >
                          {u.disabled ? "Enable" : "Disable"}
                        </button>
                        <button
                          type="button"
                          class="secondary small"
                          hx-post={`/users/${u.id}/role`}
                          hx-vals={JSON.stringify({ role: u.role === "admin" ? "user" : "admin" })}
                          hx-swap="none"
                        >
                          {u.role === "admin" ? "Make user" : "Make admin"}
                        </button>
                        <button
                          type="button"
                          class="secondary small"
                          hx-post={`/users/${u.id}/delete`}
                          hx-swap="none"
                          hx-confirm={`Delete ${u.username}?`}
                        >
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <h2>Add a user</h2>
        <form hx-post="/users" hx-swap="none">
          <Csrf token={c.get("csrfToken")} />
          <div class="grid">
            <label>
              Username
              <input name="username" required autocomplete="off" />
            </label>
            <label>
              Password
              <input name="password" type="password" required autocomplete="new-password" />
            </label>
            <label>
              Role
              <select name="role">
                <option value="user">user</option>
                <option value="admin">admin</option>
              </select>
            </label>
          </div>
          <button type="submit">Add user</button>
        </form>
      </Layout>,
    );
  });

  r.post("/users", async (c) => {
    const f = await form(c);
    const input = z
      .object({ username: UsernameSchema, password: PasswordSchema })
      .safeParse({ username: (f.username ?? "").trim(), password: f.password ?? "" });
    if (!input.success)
      return problem(c, new ValidationError("The user is invalid", zodDetails(input.error)));
    await c
      .get("services")
      .users.create({ ...input.data, role: f.role === "admin" ? "admin" : "user" }, actor(c));
    c.header("HX-Redirect", "/users");
    return c.body(null, 204);
  });

  r.post("/users/:id/disabled", async (c) => {
    const f = await form(c);
    await c.get("services").users.update(c.req.param("id"), { disabled: f.disabled === "true" }, actor(c));
    c.header("HX-Redirect", "/users");
    return c.body(null, 204);
  });

  r.post("/users/:id/role", async (c) => {
    const f = await form(c);
    await c
      .get("services")
      .users.update(c.req.param("id"), { role: f.role === "admin" ? "admin" : "user" }, actor(c));
    c.header("HX-Redirect", "/users");
    return c.body(null, 204);
  });

  r.post("/users/:id/delete", async (c) => {
    await c.get("services").users.remove(c.req.param("id"), actor(c));
    c.header("HX-Redirect", "/users");
    return c.body(null, 204);
  });

  // --- Settings ------------------------------------------------------------------------------------------
  r.get("/settings", async (c) => {
    admin(c);
    const s = await c.get("services").settings.get();
    return c.html(
      <Layout title="Settings" page={page(c, "/settings")}>
        <h1>Settings</h1>
        <form hx-put="/settings" hx-swap="none">
          <Csrf token={c.get("csrfToken")} />
          <fieldset>
            <legend>Registration</legend>
            <label>
              <input type="radio" name="registration" value="closed" checked={s.registration === "closed"} />
              Closed: administrators create accounts
            </label>
            <label>
              <input type="radio" name="registration" value="open" checked={s.registration === "open"} />
              Open: anyone who reaches this page may sign up
            </label>
          </fieldset>
          <fieldset>
            <legend>Default resources of new apps</legend>
            <div class="grid">
              <label>
                Cores
                <input type="number" name="cores" min={1} value={String(s.resources.cores)} />
              </label>
              <label>
                Memory (MiB)
                <input type="number" name="memory_mb" min={128} value={String(s.resources.memory_mb)} />
              </label>
              <label>
                Disk (GiB)
                <input type="number" name="disk_gb" min={1} value={String(s.resources.disk_gb)} />
              </label>
            </div>
          </fieldset>
          <fieldset>
            <legend>Network and storage</legend>
            <div class="grid">
              <label>
                Bridge
                <input name="bridge" value={s.network.bridge} />
              </label>
              <label>
                Container storage
                <input name="rootfs" value={s.storage.rootfs} />
              </label>
              <label>
                Backup storage
                <input name="backups" value={s.storage.backups} />
              </label>
            </div>
          </fieldset>
          <button type="submit">Save settings</button>
        </form>
      </Layout>,
    );
  });

  r.put("/settings", async (c) => {
    const f = await form(c);
    const services = c.get("services");
    const current = await services.settings.get();
    const parsed = SettingsUpdateSchema.safeParse({
      registration: f.registration,
      resources: { cores: Number(f.cores), memory_mb: Number(f.memory_mb), disk_gb: Number(f.disk_gb) },
      network: { ...current.network, bridge: f.bridge },
      storage: { ...current.storage, rootfs: f.rootfs, backups: f.backups },
    });
    if (!parsed.success)
      return problem(c, new ValidationError("The settings are invalid", zodDetails(parsed.error)));
    await services.settings.update(parsed.data, actor(c));
    return ok(c, "Settings saved.");
  });

  // --- Audit log -----------------------------------------------------------------------------------------
  r.get("/audit", async (c) => {
    admin(c);
    const q = c.req.query();
    const pageNo = Math.max(1, Number(q.page) || 1);
    const perPage = 50;
    const date = (s: string | undefined, end = false) =>
      s && /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(`${s}T${end ? "23:59:59.999" : "00:00:00"}Z`) : undefined;
    const from = date(q.from);
    const to = date(q.to, true);
    const { items, total } = await c.get("services").audit.list({
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      page: pageNo,
      perPage,
    });
    const pages = Math.max(1, Math.ceil(total / perPage));
    const link = (p: number) => {
      const params = new URLSearchParams({ ...q, page: String(p) });
      return `/audit?${params}`;
    };
    return c.html(
      <Layout title="Audit log" page={page(c, "/audit")}>
        <h1>Audit log</h1>
        <form method="get" action="/audit" class="toolbar">
          <label>
            Actor
            <input name="actor" value={q.actor ?? ""} placeholder="username" />
          </label>
          <label>
            Action
            <input name="action" value={q.action ?? ""} placeholder="e.g. app.deploy" />
          </label>
          <label>
            From
            <input type="date" name="from" value={q.from ?? ""} />
          </label>
          <label>
            To
            <input type="date" name="to" value={q.to ?? ""} />
          </label>
          <button type="submit">Filter</button>
        </form>
        <p class="count">
          {total} entr{total === 1 ? "y" : "ies"} · page {pageNo} of {pages}
        </p>
        {items.length === 0 ? (
          <Empty title="Nothing recorded for this filter">
            <p>Clear the filter to see every entry.</p>
          </Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Outcome</th>
                  <th scope="col" class="hide-sm">
                    Target
                  </th>
                  <th scope="col" class="hide-sm">
                    From
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr>
                    <td>{when(e.at)}</td>
                    <td>{e.actorUsername ?? "–"}</td>
                    <td>{e.action}</td>
                    <td>{e.outcome === "failure" ? <span class="badge error">failure</span> : "ok"}</td>
                    <td class="hide-sm">
                      {e.targetType ? `${e.targetType} ${e.targetId?.slice(0, 8) ?? ""}` : "–"}
                    </td>
                    <td class="hide-sm">{e.ip ?? "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav aria-label="Pages">
          <ul>
            <li>{pageNo > 1 ? <a href={link(pageNo - 1)}>Previous</a> : null}</li>
            <li>{pageNo < pages ? <a href={link(pageNo + 1)}>Next</a> : null}</li>
          </ul>
        </nav>
      </Layout>,
    );
  });

  // --- Account -------------------------------------------------------------------------------------------
  r.get("/account", (c) => {
    const v = signedIn(c);
    return c.html(
      <Layout title="Account" page={page(c, "/account")}>
        <h1>Your account</h1>
        <p>
          Signed in as <strong>{v.username}</strong> ({v.role}).
        </p>
        <article>
          <h2>Change password</h2>
          <p class="muted">Every other session ends; this one stays signed in.</p>
          <form hx-post="/account/password" hx-swap="none">
            <Csrf token={c.get("csrfToken")} />
            <input type="text" name="username" value={v.username} autocomplete="username" hidden />
            <label>
              Current password
              <input type="password" name="current_password" required autocomplete="current-password" />
            </label>
            <label>
              New password
              <input
                type="password"
                name="new_password"
                required
                minlength={10}
                autocomplete="new-password"
              />
            </label>
            <button type="submit">Change password</button>
          </form>
        </article>
        <article>
          <h2>Sign out everywhere</h2>
          <p class="muted">
            Ends every session of your account, in every browser and API client, including this one.
          </p>
          <form method="post" action="/account/sign-out-everywhere" data-confirm="Sign out of every session?">
            <Csrf token={c.get("csrfToken")} />
            <button type="submit" class="contrast">
              Sign out everywhere
            </button>
          </form>
        </article>
      </Layout>,
    );
  });

  r.post("/account/password", async (c) => {
    const v = signedIn(c);
    const f = await form(c);
    const next = PasswordSchema.safeParse(f.new_password ?? "");
    if (!next.success)
      return problem(
        c,
        new ValidationError("The new password is invalid", zodDetails(next.error, "new_password")),
      );
    await c
      .get("services")
      .auth.changePassword(
        { user: v, ip: clientIpOf(c) },
        f.current_password ?? "",
        f.new_password ?? "",
        c.get("sessionToken"),
      )
      .catch((err) => {
        if (err instanceof ValidationError) {
          throw new ValidationError(
            (err.details ?? []).map((d) => `${d.field.replace(/_/g, " ")} ${d.message}`).join("; ") ||
              err.message,
          );
        }
        throw err;
      });
    return ok(c, "Password changed; your other sessions have ended.");
  });

  r.post("/account/sign-out-everywhere", async (c) => {
    const v = signedIn(c);
    const services = c.get("services");
    await services.users.revokeAllSessions(services.database.db, v.id, "logout_all");
    await services.audit.record({
      actor: { user: v, ip: clientIpOf(c) },
      action: "auth.logout_all",
      target: { type: "user", id: v.id },
    });
    clearSessionCookie(c);
    return c.redirect("/login", 303);
  });

  return r;
}
