/** The App stores page (administrators): third-party stores, their import state, the form to add one, and a report. */
import type { FC } from "hono/jsx";
import type { CatalogSourceRow } from "../../../db/schema.ts";
import type { ReportEntry } from "../../../features/catalog/sources/sources.service.ts";
import {
  Csrf,
  Empty,
  type FieldErrors,
  FieldMessage,
  FormMessage,
  fieldAria,
  Layout,
  type PageContext,
  when,
} from "../../kit/index.ts";

const FORMATS = [
  ["auto", "Detect"],
  ["runtipi", "Runtipi"],
  ["casaos", "CasaOS"],
  ["umbrel", "Umbrel"],
] as const;

export const AddStoreForm: FC<{ csrf: string; errors: FieldErrors; values?: Record<string, string> }> = ({
  csrf,
  errors,
  values = {},
}) => (
  <form id="add-store" hx-post="/stores" hx-target="this" hx-swap="outerHTML" novalidate>
    <Csrf token={csrf} />
    <FormMessage errors={errors} />
    <div class="grid">
      <label>
        Name
        <input
          name="name"
          required
          autocomplete="off"
          placeholder="runtipi"
          value={values.name ?? ""}
          {...fieldAria(errors, "name", "name-help")}
        />
        <FieldMessage
          errors={errors}
          name="name"
          helpId="name-help"
          help="a-z, 0-9 and '-': the prefix of its apps' ids (runtipi/vaultwarden)"
        />
      </label>
      <label>
        Format
        <select name="format" {...fieldAria(errors, "format")}>
          {FORMATS.map(([value, label]) => (
            <option value={value} selected={(values.format ?? "auto") === value}>
              {label}
            </option>
          ))}
        </select>
        <FieldMessage errors={errors} name="format" />
      </label>
    </div>
    <label>
      URL or directory
      <input
        name="url"
        required
        autocomplete="off"
        placeholder="https://github.com/runtipi/runtipi-appstore"
        value={values.url ?? ""}
        {...fieldAria(errors, "url", "url-help")}
      />
      <FieldMessage
        errors={errors}
        name="url"
        helpId="url-help"
        help="A repository on GitHub, GitLab, Codeberg/Forgejo/Gitea, a .tar.gz URL, or an absolute directory on this server"
      />
    </label>
    <button type="submit">Add store</button>
  </form>
);

function statusBadge(s: CatalogSourceRow) {
  const cls = s.status === "ready" ? "running" : s.status === "failed" ? "error" : "busy";
  return <span class={`badge ${cls}`}>{s.status}</span>;
}

/** The table, polled while an import runs so the counts appear without a reload. */
export const StoresTable: FC<{ sources: CatalogSourceRow[] }> = ({ sources }) => {
  const importing = sources.some((s) => s.status === "importing");
  return (
    <div
      id="stores-table"
      class="table-wrap"
      {...(importing ? { "hx-get": "/stores/table", "hx-trigger": "every 2s", "hx-swap": "outerHTML" } : {})}
    >
      {sources.length === 0 ? (
        <Empty title="No stores yet">
          Add a Runtipi, CasaOS or Umbrel store below: its apps join the catalog.
        </Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Store</th>
              <th scope="col">Apps</th>
              <th scope="col" class="hide-sm">
                Imported
              </th>
              <th scope="col">
                <span class="muted">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sources.map((s) => (
              <tr id={`store-${s.name}`}>
                {/* The state sits under the name: a column of its own pushed the actions off a phone's screen. */}
                <td>
                  <strong>{s.name}</strong>
                  {s.format ? <small class="muted"> {s.format}</small> : null} {statusBadge(s)}
                  {s.error ? (
                    <>
                      <br />
                      <small class="reason">{s.error}</small>
                    </>
                  ) : null}
                  <br />
                  <small class="muted break hide-sm">{s.url}</small>
                </td>
                <td>
                  <a href={`/catalog?source=${encodeURIComponent(s.name)}`}>{s.imported} imported</a>
                  <br />
                  <a href={`/stores/${s.id}`} class="muted">
                    {s.refused} refused
                  </a>
                </td>
                <td class="hide-sm">{when(s.fetchedAt)}</td>
                <td class="actions">
                  <button
                    type="button"
                    class="secondary small"
                    hx-post={`/stores/${s.id}/refresh`}
                    hx-swap="none"
                    disabled={s.status === "importing"}
                  >
                    Refresh
                  </button>
                  <a class="button-link secondary small" href={`/stores/${s.id}`}>
                    Report
                  </a>
                  <button
                    type="button"
                    class="secondary small"
                    hx-post={`/stores/${s.id}/delete`}
                    hx-swap="none"
                    hx-confirm={`Remove the store ${s.name}? Its apps leave the catalog; installed ones keep running.`}
                    disabled={s.status === "importing"}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
};

export const StoresPage: FC<{ page: PageContext; sources: CatalogSourceRow[] }> = ({ page, sources }) => (
  <Layout title="App stores" page={page}>
    <h1>App stores</h1>
    <p class="muted">
      Apps of Runtipi, CasaOS and Umbrel stores, translated into catalog entries. They are community entries:
      Proximity applies its compose security policy to them, but nobody at Proximity checked them. Stores are
      imported again every day (Settings).
    </p>
    <StoresTable sources={sources} />
    <h2>Add a store</h2>
    <AddStoreForm csrf={page.csrf} errors={{}} />
  </Layout>
);

export const ReportPage: FC<{ page: PageContext; source: CatalogSourceRow; entries: ReportEntry[] }> = ({
  page,
  source,
  entries,
}) => {
  const refused = entries.filter((e) => e.status === "refused");
  const imported = entries.filter((e) => e.status === "imported");
  return (
    <Layout title={`${source.name}: import report`} page={page}>
      <p>
        <a href="/stores">← App stores</a>
      </p>
      <h1>{source.name}: import report</h1>
      <p>
        {statusBadge(source)} {imported.length} imported, {refused.length} refused
        {source.fetchedAt ? <> · {when(source.fetchedAt)}</> : null}
      </p>
      {source.error ? <p class="reason">{source.error}</p> : null}
      <h2>Refused</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {refused.map((e) => (
              <tr>
                <td>{e.name}</td>
                <td>
                  {e.reasons.map((r) => (
                    <div>
                      <small class="break">{r}</small>
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Imported</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Changed on the way</th>
            </tr>
          </thead>
          <tbody>
            {imported.map((e) => (
              <tr>
                <td>
                  <a href={`/catalog/${encodeURIComponent(e.id)}`}>{e.name}</a>
                </td>
                <td>
                  {e.reasons.map((r) => (
                    <div>
                      <small class="muted break">{r}</small>
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Layout>
  );
};
