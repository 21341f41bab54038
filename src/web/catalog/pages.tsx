/** The catalog grid (featured, recently added, search as you type, category filter) and an entry's page. */
import { raw } from "hono/html";
import type { FC } from "hono/jsx";
import type { CatalogEntry } from "../../features/catalog/catalog.schemas.ts";
import type { CatalogCategory } from "../../features/catalog/catalog.service.ts";
import {
  AppIcon,
  appIconHtml,
  Breadcrumb,
  Empty,
  escapeHtml,
  Layout,
  type PageContext,
} from "../kit/index.ts";
import { InstallForm } from "./install-form.tsx";

/** Icons in the catalog grid fetched with the page (four rows at 1440 px); the others lazily. */
const EAGER_ICONS = 12;
/** Cards per page: with the stores' apps the catalog holds hundreds; more come with "Show more". */
export const CARDS_PER_PAGE = 48;

/** The store a community entry comes from (its id's namespace), or undefined for a verified entry. */
export function storeOf(id: string): string | undefined {
  const slash = id.indexOf("/");
  return slash === -1 ? undefined : id.slice(0, slash);
}

/** Says plainly that a store's entry is not vouched for by Proximity (markup; "" for a verified entry). */
function communityBadgeHtml(id: string): string {
  const store = storeOf(id);
  return store
    ? `<span class="tag community" title="Imported from a third-party store; not checked by Proximity">community · ${escapeHtml(store)}</span>`
    : "";
}

export const CommunityBadge: FC<{ id: string }> = ({ id }) => raw(communityBadgeHtml(id));

export const CatalogResults: FC<{
  entries: CatalogEntry[];
  total: number;
  q: string;
  category: string;
  /** A store's name, "verified", or "" for every source. */
  source?: string;
  /** How many pages of cards are shown (CARDS_PER_PAGE each). */
  pages?: number;
  categories: CatalogCategory[];
  /** Shown above the whole catalog when nothing is filtered. */
  featured?: CatalogEntry[];
  recent?: CatalogEntry[];
}> = ({ entries, total, q, category, source = "", pages = 1, categories, featured = [], recent = [] }) => {
  const shown = entries.slice(0, pages * CARDS_PER_PAGE);
  const names = categoryNames(categories);
  const filtered = Boolean(q || category || source);
  const more = new URLSearchParams({
    ...(q ? { q } : {}),
    ...(category ? { category } : {}),
    ...(source ? { source } : {}),
    page: String(pages + 1),
  });
  return (
    <div id="catalog-results">
      {filtered ? null : <Highlights featured={featured} recent={recent} categories={categories} />}
      <h2 class="results-title">{filtered ? "Matching apps" : "All apps"}</h2>
      <p class="count" role="status">
        {entries.length === total
          ? `${total} apps`
          : `${entries.length} of ${total} apps${q ? ` match “${q}”` : ""}${category ? " in this category" : ""}${source ? ` from ${source === "verified" ? "verified sources" : source}` : ""}`}
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
          {raw(shown.map((e, i) => entryCard(e, names, i >= EAGER_ICONS)).join(""))}
        </div>
      )}
      {shown.length < entries.length ? (
        <p class="show-more">
          <a
            href={`/catalog?${more}`}
            class="button-link secondary"
            hx-get={`/catalog?${more}`}
            hx-target="#catalog-results"
            hx-swap="outerHTML"
            hx-push-url="true"
          >
            Show more ({entries.length - shown.length} left)
          </a>
        </p>
      ) : null}
    </div>
  );
};

/** Category id → display name. */
function categoryNames(categories: CatalogCategory[]): Map<string, string> {
  return new Map(categories.map((c) => [c.id, c.name]));
}

/**
 * One catalog entry as a card; the whole card is its link (the name's link covers it, app.css). Built as
 * one string, not JSX: a page shows up to 56 cards, and making and walking their element tree was most of
 * the page's render time (docs/performance.md, "Sixth round"). Every value goes through escapeHtml, the
 * function JSX escapes with. `lazy`: the first screenful loads at once; the rest as they scroll into sight.
 */
function entryCard(e: CatalogEntry, names: Map<string, string>, lazy = false): string {
  const href = `/catalog/${encodeURIComponent(e.id)}`;
  return (
    `<article class="entry-card"><div class="card-head">${appIconHtml(e.id, { lazy })}` +
    `<h3><a href="${escapeHtml(href)}">${escapeHtml(e.name)}</a></h3></div>` +
    `<p>${escapeHtml(firstSentence(e.description))}</p>` +
    `<span class="tag">${escapeHtml(names.get(e.category) ?? e.category)}</span>` +
    `${communityBadgeHtml(e.id)}</article>`
  );
}

/** One row of highlighted entries under its heading; nothing when there are none. */
const Highlight: FC<{
  id: string;
  title: string;
  entries: CatalogEntry[];
  categories: CatalogCategory[];
}> = ({ id, title, entries, categories }) =>
  entries.length ? (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <div class="grid-cards catalog-grid highlight">
        {raw(entries.map((e) => entryCard(e, categoryNames(categories))).join(""))}
      </div>
    </section>
  ) : null;

/** Featured and recently added entries, above the whole catalog (only when nothing is filtered). */
export const Highlights: FC<{
  featured: CatalogEntry[];
  recent: CatalogEntry[];
  categories: CatalogCategory[];
}> = ({ featured, recent, categories }) => (
  <div id="highlights">
    <Highlight id="featured" title="Featured" entries={featured} categories={categories} />
    <Highlight id="recent" title="Recently added" entries={recent} categories={categories} />
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
  /** A store's name, "verified", or "". */
  source: string;
  /** The stores that have entries (the source filter offers them). */
  sources: string[];
  pages: number;
  featured: CatalogEntry[];
  recent: CatalogEntry[];
}> = ({ page, entries, total, categories, q, category, source, sources, pages, featured, recent }) => {
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
        {sources.length > 0 ? (
          <label>
            Source
            <select name="source">
              <option value="">All sources</option>
              <option value="verified" selected={source === "verified"}>
                Verified (built-in)
              </option>
              {sources.map((s) => (
                <option value={s} selected={s === source}>
                  {`${s} (community)`}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <noscript>
          <button type="submit">Search</button>
        </noscript>
      </form>
      <CatalogResults
        entries={entries}
        total={total}
        q={q}
        category={category}
        source={source}
        pages={pages}
        categories={categories}
        featured={featured}
        recent={recent}
      />
    </Layout>
  );
};

export const EntryPage: FC<{
  page: PageContext;
  entry: CatalogEntry;
  form: Parameters<typeof InstallForm>[0];
  /** What the import changed in a community entry (its store report's line). */
  notes?: string[];
}> = ({ page, entry, form, notes = [] }) => (
  <Layout title={entry.name} page={page}>
    <Breadcrumb up={{ href: "/catalog", label: "Catalog" }} here={entry.name} />
    <div class="grid">
      <section>
        <div class="card-head">
          <AppIcon id={entry.id} large />
          <hgroup>
            <h1>{entry.name}</h1>
            <p>Version {entry.version}</p>
          </hgroup>
        </div>
        {storeOf(entry.id) ? (
          <p class="notice" role="note">
            <CommunityBadge id={entry.id} /> This app comes from the third-party store {storeOf(entry.id)}.
            Proximity translated it and applied its security policy, but did not check the app itself.
          </p>
        ) : null}
        {notes.length > 0 ? (
          <details id="import-notes" open={notes.length <= 3}>
            <summary>Changed on import ({notes.length})</summary>
            <ul class="import-notes">
              {notes.map((n) => (
                <li class="break">{n}</li>
              ))}
            </ul>
          </details>
        ) : null}
        {entry.unpinned_images.length > 0 ? (
          <p class="notice" role="note">
            Image not pinned ({entry.unpinned_images.join(", ")}): Proximity cannot offer updates for this
            app.
          </p>
        ) : null}
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
          {entry.web ? null : (
            <>
              <dt>Web interface</dt>
              <dd id="entry-no-web">None: a service without one (nothing to open once installed)</dd>
            </>
          )}
          <dt>Ports</dt>
          <dd>{entry.ports.map((p) => `${p.container}/${p.protocol} (${p.name})`).join(", ") || "none"}</dd>
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
