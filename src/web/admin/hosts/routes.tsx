/** /hosts (administrators): list with nodes, add, edit, test, sync, remove. */
import { Hono } from "hono";
import { AdoptBody } from "../../../features/apps/index.ts";
import { CreateHostBody, UpdateHostBody } from "../../../features/hosts/hosts.schemas.ts";
import type { WebEnv } from "../../context.ts";
import {
  actor,
  FormMessage,
  formNumber,
  page,
  parsed,
  readForm,
  redirect,
  submitForm,
  ToastPartial,
  viewer,
  type WebContext,
} from "../../kit/index.ts";
import { HostCard, HostForm, HostsPage } from "./pages.tsx";
import { HostTestPanel } from "./preflight.tsx";
import { AdoptForm, UnmanagedPage } from "./unmanaged.tsx";

/** Memory reserved by Proximity's apps per `hostId/node` (the meters' second colour). */
async function reservedMemory(c: WebContext): Promise<Map<string, number>> {
  const apps = await c.get("services").apps.list(viewer(c), { page: 1, perPage: 100 });
  const reserved = new Map<string, number>();
  for (const a of apps.items) {
    if (!a.node) continue;
    const key = `${a.hostId}/${a.node}`;
    reserved.set(key, (reserved.get(key) ?? 0) + a.resources.memory_mb * 1024 ** 2);
  }
  return reserved;
}

/** The form's text as the API's body: blank fields are left out (on edit: kept as stored). */
function hostBody(f: Record<string, string>) {
  const opt = (k: string) => (f[k]?.trim() ? f[k]!.trim() : undefined);
  const pick = (keys: string[]) => Object.fromEntries(keys.flatMap((k) => (opt(k) ? [[k, opt(k)]] : [])));
  const ssh = {
    ...(opt("ssh.host") ? { host: opt("ssh.host") } : {}),
    ...(opt("ssh.port") ? { port: formNumber(opt("ssh.port")) } : {}),
    ...(opt("ssh.username") ? { username: opt("ssh.username") } : {}),
    ...(opt("ssh.password") ? { password: opt("ssh.password") } : {}),
  };
  return {
    ...pick(["name", "api_url", "token_id", "token_secret", "username", "password", "fingerprint"]),
    ssh,
  };
}

export function hostsRoutes() {
  const r = new Hono<WebEnv>();

  r.get("/", async (c) => {
    const services = c.get("services");
    const [hosts, nodes, reserved] = await Promise.all([
      services.hosts.list(),
      services.hosts.listNodes(),
      reservedMemory(c),
    ]);
    return c.html(<HostsPage page={page(c, "/hosts")} hosts={hosts} nodes={nodes} reserved={reserved} />);
  });

  r.post("/", async (c) => {
    const f = await readForm(c);
    const services = c.get("services");
    return submitForm(
      c,
      async () => {
        const input = parsed(CreateHostBody, hostBody(f), "The host cannot be added");
        const host = await services.hosts.create(input, actor(c));
        // Nodes right away when it answers; when it does not, its card says why.
        await services.hosts.sync(host.id).catch(() => undefined);
        return redirect(c, `/hosts#host-${host.id}`);
      },
      (errors) => <HostForm values={f} errors={errors} csrf={c.get("csrfToken")} />,
    );
  });

  r.post("/:id", async (c) => {
    const services = c.get("services");
    const host = await services.hosts.get(c.req.param("id"));
    const f = await readForm(c);
    return submitForm(
      c,
      async () => {
        const body = hostBody(f);
        const { ssh, ...rest } = body;
        const input = parsed(
          UpdateHostBody,
          { ...rest, ...(Object.keys(ssh).length ? { ssh } : {}) },
          "The host cannot be changed",
        );
        await services.hosts.update(host.id, input, actor(c));
        await services.hosts.sync(host.id).catch(() => undefined);
        return redirect(c, `/hosts#host-${host.id}`);
      },
      (errors) => <HostForm host={host} values={f} errors={errors} csrf={c.get("csrfToken")} />,
    );
  });

  r.post("/:id/test", async (c) => {
    const id = c.req.param("id");
    const result = await c.get("services").hosts.test(id, actor(c));
    return c.html(<HostTestPanel result={result} />);
  });

  r.post("/:id/sync", async (c) => {
    const services = c.get("services");
    const id = c.req.param("id");
    await services.hosts.get(id);
    // The service audits both outcomes; a failure's reason is also on the host's card and in the toast.
    const result = await services.hosts.sync(id, actor(c)).then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    const [host, nodes, reserved] = await Promise.all([
      services.hosts.get(id),
      services.hosts.listNodes(),
      reservedMemory(c),
    ]);
    const message = result
      ? `Sync failed: ${result}`
      : `Synced ${host.name}: ${nodes.filter((n) => n.host_id === id).length} nodes.`;
    return c.html(
      <>
        <HostCard
          host={host}
          nodes={nodes.filter((n) => n.host_id === id)}
          reserved={reserved}
          csrf={c.get("csrfToken")}
        />
        <ToastPartial message={message} ok={!result} />
      </>,
    );
  });

  r.get("/:id/unmanaged", async (c) => {
    const services = c.get("services");
    const host = await services.hosts.get(c.req.param("id"));
    const [found, users] = await Promise.all([
      services.appContainers.discover(host.id).then(
        (items) => ({ items, error: undefined }),
        // The host does not answer: say so on the page (with the reason), rather than an error page.
        (err: unknown) => ({
          items: [],
          error: `${host.name} could not be asked for its containers: ${err instanceof Error ? err.message : String(err)}`,
        }),
      ),
      services.users.list(1, 100),
    ]);
    return c.html(
      <UnmanagedPage
        page={page(c, "/hosts")}
        host={host}
        items={found.items}
        error={found.error}
        users={users.items}
        viewerId={viewer(c).id}
      />,
    );
  });

  r.post("/:id/unmanaged/:node/:vmid", async (c) => {
    const services = c.get("services");
    const host = await services.hosts.get(c.req.param("id"));
    const f = await readForm(c);
    const vmid = formNumber(c.req.param("vmid"));
    return submitForm(
      c,
      async () => {
        const input = parsed(
          AdoptBody,
          {
            host_id: host.id,
            node: c.req.param("node"),
            vmid,
            ...(f.name?.trim() ? { name: f.name.trim() } : {}),
            ...(f.owner_id ? { owner_id: f.owner_id } : {}),
            port: f.port?.trim() ? formNumber(f.port) : null,
          },
          "The container cannot be adopted",
        );
        const app = await services.appContainers.adopt(actor(c), input);
        return redirect(c, `/apps/${app.id}`);
      },
      async (errors) => {
        const [items, users] = await Promise.all([
          services.appContainers.discover(host.id).catch(() => []),
          services.users.list(1, 100),
        ]);
        const ct = items.find((i) => i.vmid === vmid);
        if (!ct) return <FormMessage errors={errors} />;
        return (
          <AdoptForm
            hostId={host.id}
            ct={ct}
            users={users.items}
            values={{ name: f.name ?? "", owner_id: f.owner_id ?? "", port: f.port ?? "" }}
            errors={errors}
            csrf={c.get("csrfToken")}
          />
        );
      },
    );
  });

  r.post("/:id/delete", async (c) => {
    const services = c.get("services");
    const host = await services.hosts.get(c.req.param("id"));
    await services.hosts.remove(host.id, actor(c));
    return redirect(c, "/hosts");
  });

  return r;
}
