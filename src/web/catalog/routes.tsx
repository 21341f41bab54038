/** The catalog: the grid with search and categories, an entry's page, and its install form. */
import { Hono } from "hono";
import { NotFoundError } from "../../core/errors.ts";
import { DeployBody } from "../../features/apps/apps.schemas.ts";
import type { CatalogEntry } from "../../features/catalog/catalog.schemas.ts";
import type { WebEnv } from "../context.ts";
import {
  actor,
  type FieldErrors,
  formResources,
  isHtmx,
  page,
  parsed,
  readForm,
  redirect,
  submitForm,
  type WebContext,
} from "../kit/index.ts";
import { InstallForm, type InstallValues, type RuntimeChoice } from "./install-form.tsx";
import { CatalogPage, CatalogResults, EntryPage } from "./pages.tsx";

/** Apps most households start with: shown first on the catalog page. */
const FEATURED = ["nextcloud", "immich", "vaultwarden", "home-assistant"];

function entryOf(c: WebContext): CatalogEntry {
  const found = c.get("services").catalog.get(c.req.param("id") ?? "");
  const entry = found?.system ? undefined : found;
  if (!entry) throw new NotFoundError(`Catalog app '${c.req.param("id")}'`);
  return entry;
}

function installDefaults(
  entry: CatalogEntry,
  defaults: { cores: number; memory_mb: number; disk_gb: number },
): InstallValues {
  return {
    // A store entry's id is `<store>/<app>`: the hostname is the app's part.
    hostname: entry.id.slice(entry.id.indexOf("/") + 1),
    node: "",
    runtime: "",
    cores: String(Math.max(defaults.cores, entry.min.cores)),
    memory_mb: String(Math.max(defaults.memory_mb, entry.min.memory_mb)),
    disk_gb: String(Math.max(defaults.disk_gb, entry.min.disk_gb)),
    env: Object.fromEntries(
      entry.env.filter((e) => !e.secret && e.default !== undefined).map((e) => [e.name, e.default!]),
    ),
  };
}

/** What the form preselects and why: the host's last test decides whether OCI is the default. */
function runtimeChoice(c: WebContext, entry: CatalogEntry, hostId: string | undefined): RuntimeChoice {
  const services = c.get("services");
  const preselected = hostId ? services.apps.runtimeFor(entry, hostId) : "docker";
  if (!hostId || entry.runtimes.length < 2) return { preselected, why: "" };
  const oci = services.hosts.preflightCheck(hostId, "oci_containers");
  if (preselected === "oci")
    return { preselected, why: "OCI is preselected: the host's last test found it can run OCI containers." };
  return {
    preselected,
    why: oci
      ? `Docker is preselected: the host's last test found it cannot run OCI containers (${oci.detail}).`
      : "Docker is preselected: the host has not been tested since Proximity started (Test connection, on the Hosts page, checks whether it can run OCI containers).",
  };
}

async function installForm(c: WebContext, entry: CatalogEntry, values: InstallValues, errors: FieldErrors) {
  const services = c.get("services");
  const host = await services.hosts.defaultHost();
  const nodes = host
    ? (await services.hosts.listNodes())
        .filter((n) => n.host_id === host.id)
        .map((n) => ({ name: n.name, memoryFree: n.memory_free, online: n.status === "online" }))
    : [];
  return {
    entry,
    values,
    errors,
    nodes,
    csrf: c.get("csrfToken"),
    hostMissing: !host,
    runtime: runtimeChoice(c, entry, host?.id),
  };
}

/** The form's fields as the deploy request (the API's own body: the same schema validates both). */
function deployInput(entry: CatalogEntry, values: InstallValues) {
  const resources = formResources({
    "resources.cores": values.cores,
    "resources.memory_mb": values.memory_mb,
    "resources.disk_gb": values.disk_gb,
  });
  const environment = Object.fromEntries(Object.entries(values.env).filter(([, v]) => v !== ""));
  // A required setting emptied on purpose goes to the service, which refuses it beside its field.
  for (const e of entry.env) if (e.required && values.env[e.name] === "") environment[e.name] = "";
  return {
    catalog_id: entry.id,
    hostname: values.hostname,
    ...(Object.keys(environment).length ? { environment } : {}),
    ...(Object.keys(resources).length ? { resources } : {}),
    ...(values.node ? { node: values.node } : {}),
    ...(values.runtime ? { runtime: values.runtime } : {}),
  };
}

export function catalogRoutes() {
  const r = new Hono<WebEnv>();

  r.get("/", (c) => {
    const catalog = c.get("services").catalog;
    const q = (c.req.query("q") ?? "").slice(0, 200);
    const categories = catalog.categories();
    const category = categories.some((x) => x.id === c.req.query("category")) ? c.req.query("category")! : "";
    const sources = catalog.storeNames();
    const wanted = c.req.query("source") ?? "";
    const source = wanted === "verified" || sources.includes(wanted) ? wanted : "";
    const pages = Math.min(Math.max(Number.parseInt(c.req.query("page") ?? "1", 10) || 1, 1), 100);
    const entries = catalog.list({ q, category, source });
    const total = catalog.size;
    const featured = FEATURED.flatMap((id) => catalog.get(id) ?? []);
    const recent = catalog
      .list({})
      .filter((e) => e.added)
      .sort((a, b) => b.added!.localeCompare(a.added!))
      .slice(0, 4);
    const results = { entries, total, q, category, source, pages, categories, featured, recent };
    // Search as you type swaps the results only.
    if (isHtmx(c)) return c.html(<CatalogResults {...results} />);
    return c.html(<CatalogPage page={page(c, "/catalog")} sources={sources} {...results} />);
  });

  r.get("/:id", async (c) => {
    const entry = entryOf(c);
    const settings = await c.get("services").settings.get();
    const f = await installForm(c, entry, installDefaults(entry, settings.resources), {});
    const notes = entry.id.includes("/") ? await c.get("services").sources.notesOf(entry.id) : [];
    return c.html(<EntryPage page={page(c, "/catalog")} entry={entry} form={f} notes={notes} />);
  });

  r.post("/:id/install", async (c) => {
    const entry = entryOf(c);
    const f = await readForm(c);
    const values: InstallValues = {
      hostname: (f.hostname ?? "").trim(),
      node: f.node ?? "",
      runtime: f.runtime ?? "",
      cores: f["resources.cores"] ?? "",
      memory_mb: f["resources.memory_mb"] ?? "",
      disk_gb: f["resources.disk_gb"] ?? "",
      env: Object.fromEntries(
        Object.entries(f)
          .filter(([k]) => k.startsWith("environment."))
          .map(([k, v]) => [k.slice("environment.".length), v]),
      ),
    };
    return submitForm(
      c,
      async () => {
        const input = parsed(DeployBody, deployInput(entry, values), "The app cannot be installed");
        const { app } = await c.get("services").apps.deploy(actor(c), input);
        return redirect(c, `/apps/${app.id}`);
      },
      async (errors) => <InstallForm {...(await installForm(c, entry, values, errors))} />,
    );
  });

  return r;
}
