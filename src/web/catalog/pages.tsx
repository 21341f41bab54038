/** The catalog grid (search as you type, category filter) and an app's detail page with its install form. */
import type { FC } from "hono/jsx";
import type { CatalogEntry, CatalogEnv } from "../../features/catalog/catalog.schemas.ts";
import type { CatalogCategory } from "../../features/catalog/catalog.service.ts";
import {
  AppIcon,
  Csrf,
  Empty,
  type FieldErrors,
  FieldMessage,
  FormMessage,
  fieldAria,
  Layout,
  type PageContext,
  Switch,
} from "../kit/index.ts";

/** Icons in the catalog grid fetched with the page (four rows at 1440 px); the others lazily. */
const EAGER_ICONS = 12;

export const CatalogResults: FC<{
  entries: CatalogEntry[];
  total: number;
  q: string;
  category: string;
  categories: CatalogCategory[];
  /** Shown above the whole catalog when nothing is filtered. */
  featured?: CatalogEntry[];
  recent?: CatalogEntry[];
}> = ({ entries, total, q, category, categories, featured = [], recent = [] }) => (
  <div id="catalog-results">
    {q || category ? null : <Highlights featured={featured} recent={recent} categories={categories} />}
    <h2 class="results-title">{q || category ? "Matching apps" : "All apps"}</h2>
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
      <div class="grid-cards catalog-grid" id="catalog-grid">
        {entries.map((e, i) => (
          <EntryCard entry={e} categories={categories} lazy={i >= EAGER_ICONS} />
        ))}
      </div>
    )}
  </div>
);

/** One catalog entry as a card; the whole card is its link (the name's link covers it, app.css). */
const EntryCard: FC<{
  entry: CatalogEntry;
  categories: CatalogCategory[];
  lazy?: boolean;
  heading?: "h3" | "h4";
}> = ({ entry: e, categories, lazy }) => (
  <article class="entry-card">
    <div class="card-head">
      {/* The first screenful loads at once; the rest as they scroll into sight. */}
      <AppIcon id={e.id} lazy={lazy} />
      <h3>
        <a href={`/catalog/${e.id}`}>{e.name}</a>
      </h3>
    </div>
    <p>{firstSentence(e.description)}</p>
    <span class="tag">{categories.find((c) => c.id === e.category)?.name ?? e.category}</span>
  </article>
);

/** Featured and recently added entries, above the whole catalog (only when nothing is filtered). */
export const Highlights: FC<{
  featured: CatalogEntry[];
  recent: CatalogEntry[];
  categories: CatalogCategory[];
}> = ({ featured, recent, categories }) => (
  <div id="highlights">
    {featured.length ? (
      <section aria-labelledby="featured-title">
        <h2 id="featured-title">Featured</h2>
        <div class="grid-cards catalog-grid highlight">
          {featured.map((e) => (
            <EntryCard entry={e} categories={categories} />
          ))}
        </div>
      </section>
    ) : null}
    {recent.length ? (
      <section aria-labelledby="recent-title">
        <h2 id="recent-title">Recently added</h2>
        <div class="grid-cards catalog-grid highlight">
          {recent.map((e) => (
            <EntryCard entry={e} categories={categories} />
          ))}
        </div>
      </section>
    ) : null}
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
  featured: CatalogEntry[];
  recent: CatalogEntry[];
}> = ({ page, entries, total, categories, q, category, featured, recent }) => {
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
      <CatalogResults
        entries={entries}
        total={total}
        q={q}
        category={category}
        categories={categories}
        featured={featured}
        recent={recent}
      />
    </Layout>
  );
};

export interface InstallValues {
  hostname: string;
  node: string;
  /** "" = the default runtime (the form preselects it, see `runtime`). */
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

/** The runtime a deploy without one gets on the default host, and why (shown under the choice). */
export interface RuntimeChoice {
  preselected: "docker" | "oci";
  why: string;
}

function gib(bytes: number | null): string {
  return bytes === null ? "unknown" : `${(bytes / 1024 ** 3).toFixed(1)} GiB free`;
}

/** One catalog setting as the input its type calls for: a switch, a number, a URL, an e-mail, or text. */
const SettingInput: FC<{ env: CatalogEnv; value: string; errors: FieldErrors }> = ({
  env: e,
  value,
  errors,
}) => {
  const name = `environment.${e.name}`;
  const helpId = `${name}-help`.replace(/[^A-Za-z0-9_-]/g, "-");
  const help = `${e.description}${e.secret ? " Kept encrypted; shown only when you reveal the app's credentials." : ""}`;
  const aria = fieldAria(errors, name, helpId);
  if (e.type === "boolean") {
    return (
      <div class="setting">
        <Switch
          name={name}
          checked={value === "true"}
          describedBy={aria["aria-describedby"]}
          invalid={errors[name] !== undefined}
        >
          {e.name}
        </Switch>
        <FieldMessage errors={errors} name={name} helpId={helpId} help={help} />
      </div>
    );
  }
  const generated = e.generate !== undefined;
  const type = e.secret
    ? "password"
    : e.type === "number"
      ? "number"
      : e.type === "url"
        ? "url"
        : e.type === "email"
          ? "email"
          : "text";
  return (
    <label>
      {e.name}
      {e.required ? <span aria-hidden="true"> *</span> : null}
      {e.required ? <span class="muted"> (required)</span> : null}
      <input
        name={name}
        type={type}
        value={e.secret ? "" : value}
        required={e.required}
        autocomplete={e.secret ? "new-password" : "off"}
        placeholder={
          generated ? "Generated automatically if left empty" : e.type === "url" ? "https://…" : undefined
        }
        {...aria}
      />
      <FieldMessage errors={errors} name={name} helpId={helpId} help={help} />
    </label>
  );
};

export const InstallForm: FC<{
  entry: CatalogEntry;
  values: InstallValues;
  errors: FieldErrors;
  nodes: NodeChoice[];
  csrf: string;
  hostMissing: boolean;
  runtime: RuntimeChoice;
}> = ({ entry, values, errors, nodes, csrf, hostMissing, runtime }) => {
  const chosen = values.runtime || runtime.preselected;
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
      <FormMessage errors={errors} />
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
          {...fieldAria(errors, "hostname", "hostname-help")}
        />
        <FieldMessage
          errors={errors}
          name="hostname"
          helpId="hostname-help"
          help="The container's name on Proxmox: lower-case letters, digits and inner hyphens, at most 63."
        />
      </label>
      <label>
        Node
        <select name="node" {...fieldAria(errors, "node")}>
          <option value="">Automatic (the node with the most free memory)</option>
          {nodes.map((n) => (
            <option value={n.name} selected={values.node === n.name} disabled={!n.online}>
              {`${n.name} — ${n.online ? gib(n.memoryFree) : "offline"}`}
            </option>
          ))}
        </select>
        <FieldMessage errors={errors} name="node" />
      </label>
      {entry.runtimes.length > 1 ? (
        <label>
          Runtime
          <select name="runtime" {...fieldAria(errors, "runtime", "runtime-help")}>
            {entry.runtimes.includes("docker") ? (
              <option value="docker" selected={chosen === "docker"}>
                Docker in LXC{runtime.preselected === "docker" ? " (default)" : ""}
              </option>
            ) : null}
            {entry.runtimes.includes("oci") ? (
              <option value="oci" selected={chosen === "oci"}>
                OCI container{runtime.preselected === "oci" ? " (default)" : ""}
              </option>
            ) : null}
          </select>
          <FieldMessage
            errors={errors}
            name="runtime"
            helpId="runtime-help"
            help={`${runtime.why} An OCI container (Proxmox VE 9.1+, a technology preview) runs the image itself, without Docker; Docker in LXC works on every version and keeps the app's logs.`}
          />
        </label>
      ) : null}
      <fieldset class="grid">
        <label>
          CPU cores
          <input
            type="number"
            name="resources.cores"
            min={entry.min.cores}
            max={128}
            value={values.cores}
            {...fieldAria(errors, "resources.cores", "cores-help")}
          />
          <FieldMessage
            errors={errors}
            name="resources.cores"
            helpId="cores-help"
            help={`At least ${entry.min.cores}`}
          />
        </label>
        <label>
          Memory (MiB)
          <input
            type="number"
            name="resources.memory_mb"
            min={entry.min.memory_mb}
            step={128}
            value={values.memory_mb}
            {...fieldAria(errors, "resources.memory_mb", "memory-help")}
          />
          <FieldMessage
            errors={errors}
            name="resources.memory_mb"
            helpId="memory-help"
            help={`At least ${entry.min.memory_mb} MiB`}
          />
        </label>
        <label>
          Disk (GiB)
          <input
            type="number"
            name="resources.disk_gb"
            min={entry.min.disk_gb}
            value={values.disk_gb}
            {...fieldAria(errors, "resources.disk_gb", "disk-help")}
          />
          <FieldMessage
            errors={errors}
            name="resources.disk_gb"
            helpId="disk-help"
            help={`At least ${entry.min.disk_gb} GiB`}
          />
        </label>
      </fieldset>
      {entry.env.length ? (
        <fieldset>
          <legend>Settings</legend>
          {entry.env.map((e) => (
            <SettingInput env={e} value={values.env[e.name] ?? e.default ?? ""} errors={errors} />
          ))}
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
