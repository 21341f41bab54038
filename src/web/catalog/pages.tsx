/** The catalog grid (search as you type, category filter) and an app's detail page with its install form. */
import type { FC } from "hono/jsx";
import type { CatalogEntry } from "../../features/catalog/catalog.schemas.ts";
import type { CatalogCategory } from "../../features/catalog/catalog.service.ts";
import { AppIcon, Csrf, Empty, FieldError, Layout, type PageContext } from "../ui.tsx";

/** Icons in the catalog grid fetched with the page (four rows at 1440 px); the others lazily. */
const EAGER_ICONS = 12;

export const CatalogResults: FC<{
  entries: CatalogEntry[];
  total: number;
  q: string;
  category: string;
  categories: CatalogCategory[];
}> = ({ entries, total, q, category, categories }) => (
  <div id="catalog-results">
    <p class="count" role="status">
      {entries.length === total
        ? `${total} apps`
        : `${entries.length} of ${total} apps${q ? ` match “${q}”` : ""}${category ? " in this category" : ""}`}
    </p>
    {entries.length === 0 ? (
      <Empty title="No app matches">
        <p>Try fewer words, another category, or clear the search.</p>
        <a href="/catalog" class="button-link secondary">
          Show all apps
        </a>
      </Empty>
    ) : (
      <div class="grid-cards catalog-grid">
        {entries.map((e, i) => (
          <article>
            <div class="card-head">
              {/* The first screenful loads at once; the rest as they scroll into sight. */}
              <AppIcon id={e.id} lazy={i >= EAGER_ICONS} />
              <h3>
                <a href={`/catalog/${e.id}`}>{e.name}</a>
              </h3>
            </div>
            <p>{firstSentence(e.description)}</p>
            <span class="tag">{categories.find((c) => c.id === e.category)?.name ?? e.category}</span>
          </article>
        ))}
      </div>
    )}
  </div>
);

function firstSentence(text: string): string {
  const m = text.match(/^.+?[.!?](\s|$)/);
  const s = (m ? m[0] : text).trim();
  return s.length > 140 ? `${s.slice(0, 137)}…` : s;
}

export const CatalogPage: FC<{
  page: PageContext;
  entries: CatalogEntry[];
  total: number;
  categories: CatalogCategory[];
  q: string;
  category: string;
}> = ({ page, entries, total, categories, q, category }) => {
  return (
    <Layout title="Catalog" page={page}>
      <h1>App catalog</h1>
      <form
        class="toolbar"
        method="get"
        action="/catalog"
        hx-get="/catalog"
        hx-trigger="input delay:200ms, change"
        hx-sync="this:replace"
        hx-target="#catalog-results"
        hx-swap="outerHTML"
        hx-replace-url="true"
      >
        <label>
          Search
          <input type="search" name="q" value={q} placeholder="Name, purpose or tag" autocomplete="off" />
        </label>
        <label>
          Category
          <select name="category">
            <option value="">All categories</option>
            {categories.map((c) => (
              <option value={c.id} selected={c.id === category}>
                {`${c.name} (${c.count})`}
              </option>
            ))}
          </select>
        </label>
        <noscript>
          <button type="submit">Search</button>
        </noscript>
      </form>
      <CatalogResults entries={entries} total={total} q={q} category={category} categories={categories} />
    </Layout>
  );
};

export interface InstallValues {
  hostname: string;
  node: string;
  /** "" = the default runtime (the form preselects it, see `defaultRuntime`). */
  runtime: string;
  cores: string;
  memory_mb: string;
  disk_gb: string;
  env: Record<string, string>;
}

export interface NodeChoice {
  name: string;
  memoryFree: number | null;
  online: boolean;
}

function gib(bytes: number | null): string {
  return bytes === null ? "unknown" : `${(bytes / 1024 ** 3).toFixed(1)} GiB free`;
}

export const InstallForm: FC<{
  entry: CatalogEntry;
  values: InstallValues;
  errors: Record<string, string>;
  nodes: NodeChoice[];
  csrf: string;
  hostMissing: boolean;
  /** The runtime a deploy without one gets on the default host (AppsService.runtimeFor). */
  defaultRuntime: "docker" | "oci";
}> = ({ entry, values, errors, nodes, csrf, hostMissing, defaultRuntime }) => {
  const invalid = (name: string) => (errors[name] ? "true" : undefined);
  const describedBy = (name: string, help?: string) => (errors[name] ? `${name}-error` : help);
  return (
    <form
      id="install-form"
      method="post"
      action={`/catalog/${entry.id}/install`}
      hx-post={`/catalog/${entry.id}/install`}
      hx-target="this"
      hx-swap="outerHTML"
      hx-disable="find button"
      novalidate
    >
      <Csrf token={csrf} />
      {errors.form ? (
        <p class="reason" role="alert">
          {errors.form}
        </p>
      ) : null}
      {errors.runtime && entry.runtimes.length < 2 ? (
        <p class="reason" role="alert">
          {errors.runtime}
        </p>
      ) : null}
      {hostMissing ? (
        <p class="reason">
          No Proxmox host is configured yet; an administrator must add one on the Hosts page.
        </p>
      ) : null}
      <label>
        Hostname
        <input
          name="hostname"
          value={values.hostname}
          required
          autocomplete="off"
          spellcheck={false}
          aria-invalid={invalid("hostname")}
          aria-describedby={describedBy("hostname", "hostname-help")}
        />
        {errors.hostname ? (
          <FieldError id="hostname-error" errors={errors} name="hostname" />
        ) : (
          <small id="hostname-help">
            The container's name on Proxmox: lower-case letters, digits and inner hyphens.
          </small>
        )}
      </label>
      <label>
        Node
        <select name="node" aria-invalid={invalid("node")} aria-describedby={describedBy("node")}>
          <option value="">Automatic (the node with the most free memory)</option>
          {nodes.map((n) => (
            <option value={n.name} selected={values.node === n.name} disabled={!n.online}>
              {`${n.name} — ${n.online ? gib(n.memoryFree) : "offline"}`}
            </option>
          ))}
        </select>
        <FieldError id="node-error" errors={errors} name="node" />
      </label>
      {entry.runtimes.length > 1 ? (
        <label>
          Runtime
          <select
            name="runtime"
            aria-invalid={invalid("runtime")}
            aria-describedby={describedBy("runtime", "runtime-help")}
          >
            {entry.runtimes.includes("docker") ? (
              <option value="docker" selected={(values.runtime || defaultRuntime) === "docker"}>
                Docker in LXC{defaultRuntime === "docker" ? " (default)" : ""}
              </option>
            ) : null}
            {entry.runtimes.includes("oci") ? (
              <option value="oci" selected={(values.runtime || defaultRuntime) === "oci"}>
                OCI container{defaultRuntime === "oci" ? " (default)" : ""}
              </option>
            ) : null}
          </select>
          {errors.runtime ? (
            <FieldError id="runtime-error" errors={errors} name="runtime" />
          ) : (
            <small id="runtime-help">
              An OCI container (Proxmox VE 9.1+, a technology preview) runs the image itself, without Docker;
              an update builds a new container and moves the data to it.
            </small>
          )}
        </label>
      ) : null}
      <fieldset class="grid">
        <label>
          CPU cores
          <input
            type="number"
            name="cores"
            min={entry.min.cores}
            max={128}
            value={values.cores}
            aria-invalid={invalid("cores")}
            aria-describedby={describedBy("cores", "cores-help")}
          />
          {errors.cores ? (
            <FieldError id="cores-error" errors={errors} name="cores" />
          ) : (
            <small id="cores-help">At least {entry.min.cores}</small>
          )}
        </label>
        <label>
          Memory (MiB)
          <input
            type="number"
            name="memory_mb"
            min={entry.min.memory_mb}
            step={128}
            value={values.memory_mb}
            aria-invalid={invalid("memory_mb")}
            aria-describedby={describedBy("memory_mb", "memory-help")}
          />
          {errors.memory_mb ? (
            <FieldError id="memory_mb-error" errors={errors} name="memory_mb" />
          ) : (
            <small id="memory-help">At least {entry.min.memory_mb} MiB</small>
          )}
        </label>
        <label>
          Disk (GiB)
          <input
            type="number"
            name="disk_gb"
            min={entry.min.disk_gb}
            value={values.disk_gb}
            aria-invalid={invalid("disk_gb")}
            aria-describedby={describedBy("disk_gb", "disk-help")}
          />
          {errors.disk_gb ? (
            <FieldError id="disk_gb-error" errors={errors} name="disk_gb" />
          ) : (
            <small id="disk-help">At least {entry.min.disk_gb} GiB</small>
          )}
        </label>
      </fieldset>
      {entry.env.length ? (
        <fieldset>
          <legend>Settings</legend>
          {entry.env.map((e) => {
            const name = `env.${e.name}`;
            const generated = e.generate !== undefined;
            return (
              <label>
                {e.name}
                {e.required ? <span aria-hidden="true"> *</span> : null}
                {e.required ? <span class="muted"> (required)</span> : null}
                <input
                  name={name}
                  type={e.secret ? "password" : "text"}
                  value={e.secret ? "" : (values.env[e.name] ?? e.default ?? "")}
                  required={e.required}
                  autocomplete={e.secret ? "new-password" : "off"}
                  placeholder={generated ? "Generated automatically if left empty" : undefined}
                  aria-invalid={invalid(name)}
                  aria-describedby={`${name}-help`}
                />
                {errors[name] ? (
                  <small id={`${name}-help`} class="field-error">
                    {errors[name]}
                  </small>
                ) : (
                  <small id={`${name}-help`}>
                    {e.description}
                    {e.secret ? " Kept encrypted; shown only when you reveal the app's credentials." : ""}
                  </small>
                )}
              </label>
            );
          })}
        </fieldset>
      ) : null}
      <button type="submit" disabled={hostMissing}>
        Install {entry.name}
      </button>
    </form>
  );
};

export const EntryPage: FC<{
  page: PageContext;
  entry: CatalogEntry;
  form: Parameters<typeof InstallForm>[0];
}> = ({ page, entry, form }) => (
  <Layout title={entry.name} page={page}>
    <nav aria-label="Breadcrumb">
      <ul>
        <li>
          <a href="/catalog">Catalog</a>
        </li>
        <li>{entry.name}</li>
      </ul>
    </nav>
    <div class="grid">
      <section>
        <div class="card-head">
          <AppIcon id={entry.id} large />
          <hgroup>
            <h1>{entry.name}</h1>
            <p>Version {entry.version}</p>
          </hgroup>
        </div>
        <p>{entry.description}</p>
        <dl class="facts">
          <dt>Website</dt>
          <dd>
            <a href={entry.website} rel="noopener noreferrer" target="_blank">
              {entry.website}
            </a>
          </dd>
          <dt>Minimum</dt>
          <dd>
            {entry.min.cores} core{entry.min.cores > 1 ? "s" : ""}, {entry.min.memory_mb} MiB memory,{" "}
            {entry.min.disk_gb} GiB disk
          </dd>
          <dt>Ports</dt>
          <dd>{entry.ports.map((p) => `${p.container}/${p.protocol} (${p.name})`).join(", ")}</dd>
          <dt>System</dt>
          <dd>
            {entry.runtimes.includes("docker") ? `${entry.os_template} container with Docker` : ""}
            {entry.runtimes.length > 1 ? ", or " : ""}
            {entry.runtimes.includes("oci") ? "the image as an OCI container (Proxmox VE 9.1+)" : ""}
          </dd>
        </dl>
      </section>
      <section>
        <h2>Install</h2>
        <InstallForm {...form} />
      </section>
    </div>
  </Layout>
);
