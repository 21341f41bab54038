/** The App stores page (administrators): third-party stores, their import state, the form to add one, and a report. */
import type { FC } from "hono/jsx";
import type { CatalogSourceRow } from "../../../db/schema.ts";
import type { ReportEntry } from "../../../features/catalog/sources/sources.service.ts";
import {
  Empty,
  type FormProps,
  InputField,
  Layout,
  type PageContext,
  PostButton,
  SelectField,
  SwapForm,
  Table,
  when,
} from "../../kit/index.ts";

const FORMATS = [
  ["auto", "Detect"],
  ["runtipi", "Runtipi"],
  ["casaos", "CasaOS"],
  ["umbrel", "Umbrel"],
] as const;

export const AddStoreForm: FC<FormProps> = ({ csrf, errors, values = {} }) => (
  <SwapForm id="add-store" hx-post="/stores" csrf={csrf} errors={errors}>
    <div class="grid">
      <InputField
        label="Name"
        name="name"
        errors={errors}
        required
        autocomplete="off"
        placeholder="runtipi"
        value={values.name ?? ""}
        help="a-z, 0-9 and '-': the prefix of its apps' ids (runtipi/vaultwarden)"
      />
      <SelectField
        label="Format"
        name="format"
        errors={errors}
        options={FORMATS}
        value={values.format ?? "auto"}
      />
    </div>
    <InputField
      label="URL or directory"
      name="url"
      errors={errors}
      required
      autocomplete="off"
      placeholder="https://github.com/runtipi/runtipi-appstore"
      value={values.url ?? ""}
      help="A repository on GitHub, GitLab, Codeberg/Forgejo/Gitea, a .tar.gz URL, or an absolute directory on this server"
    />
    <button type="submit">Add store</button>
  </SwapForm>
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
      {...(importing ? { "hx-get": "/stores/table", "hx-trigger": "every 2s", "hx-swap": "outerHTML" } : {})}
    >
      {sources.length === 0 ? (
        <Empty title="No stores yet">
          Add a Runtipi, CasaOS or Umbrel store below: its apps join the catalog.
        </Empty>
      ) : (
        <Table
          columns={[
            "Store",
            "Apps",
            { label: "Imported", class: "hide-sm" },
            { label: <span class="muted">Actions</span> },
          ]}
        >
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
              <td class="counts">
                <a href={`/catalog?source=${encodeURIComponent(s.name)}`}>{s.imported} imported</a>
                <br />
                <a href={`/stores/${s.id}`} class="muted">
                  {s.refused} refused
                </a>
              </td>
              <td class="hide-sm">{when(s.fetchedAt)}</td>
              <td class="actions">
                <PostButton post={`/stores/${s.id}/refresh`} disabled={s.status === "importing"}>
                  Refresh
                </PostButton>
                <a class="button-link secondary small" href={`/stores/${s.id}`}>
                  Report
                </a>
                <PostButton
                  post={`/stores/${s.id}/delete`}
                  confirm={`Remove the store ${s.name}? Its apps leave the catalog; installed ones keep running.`}
                  disabled={s.status === "importing"}
                >
                  Remove
                </PostButton>
              </td>
            </tr>
          ))}
        </Table>
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

/** An entry's reasons, one a line: why it was refused, or (muted) what was changed on the way in. */
const Reasons: FC<{ reasons: string[]; muted?: boolean }> = ({ reasons, muted }) => (
  <td>
    {reasons.map((r) => (
      <div>
        <small class={muted ? "muted break" : "break"}>{r}</small>
      </div>
    ))}
  </td>
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
      <Table columns={["App", "Why"]}>
        {refused.map((e) => (
          <tr>
            <td>{e.name}</td>
            <Reasons reasons={e.reasons} />
          </tr>
        ))}
      </Table>
      <h2>Imported</h2>
      <Table columns={["App", "Changed on the way"]}>
        {imported.map((e) => (
          <tr>
            <td>
              <a href={`/catalog/${encodeURIComponent(e.id)}`}>{e.name}</a>
            </td>
            <Reasons reasons={e.reasons} muted />
          </tr>
        ))}
      </Table>
    </Layout>
  );
};
