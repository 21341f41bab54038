/** The App stores page (administrators): third-party stores, their import state, the form to add one, and a report. */
import type { FC, PropsWithChildren } from "hono/jsx";
import type { CatalogSourceRow } from "../../../db/schema.ts";
import type { ReportEntry, ReportStatus, ReportView } from "../../../features/catalog/sources/report.ts";
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

/** Reasons shown before the rest fold away: some Umbrel apps have ten, and a phone showed each on six lines. */
const REASONS_SHOWN = 2;

const ReasonLines: FC<{ reasons: string[]; muted?: boolean | undefined }> = ({ reasons, muted }) => (
  <>
    {reasons.map((r) => (
      <div>
        <small class={muted ? "muted break" : "break"}>{r}</small>
      </div>
    ))}
  </>
);

/** An entry's reasons, one a line: why it was refused, or (muted) what was changed on the way in. */
const Reasons: FC<{ reasons: string[]; muted?: boolean }> = ({ reasons, muted }) => {
  // One more line would take as much room as the summary that folds it.
  const fold = reasons.length > REASONS_SHOWN + 1;
  return (
    <td>
      <ReasonLines reasons={fold ? reasons.slice(0, REASONS_SHOWN) : reasons} muted={muted} />
      {fold ? (
        <details class="more-reasons">
          <summary>
            <small>{reasons.length - REASONS_SHOWN} more</small>
          </summary>
          <ReasonLines reasons={reasons.slice(REASONS_SHOWN)} muted={muted} />
        </details>
      ) : null}
    </td>
  );
};

/** Rows per page of the report: a page stays a few screens tall on a phone, however big the store. */
export const REPORT_PER_PAGE = 20;

/** What the report shows: which entries, of which refusal group, which page. */
export interface ReportState {
  status: ReportStatus;
  /** A refusal group's key, or "" for every reason (only with status `refused`). */
  reason: string;
  page: number;
}

function reportHref(sourceId: string, state: ReportState): string {
  const q = new URLSearchParams({ status: state.status });
  if (state.reason) q.set("reason", state.reason);
  if (state.page > 1) q.set("page", String(state.page));
  return `/stores/${sourceId}?${q}`;
}

/** A link within the report: a plain link without JavaScript, a swap of the report's body with htmx. */
const ReportLink: FC<PropsWithChildren<{ sourceId: string; to: ReportState; current?: boolean }>> = ({
  sourceId,
  to,
  current,
  children,
}) => {
  const href = reportHref(sourceId, to);
  return (
    <a
      href={href}
      hx-get={href}
      hx-target="#report-body"
      hx-swap="outerHTML"
      hx-push-url="true"
      aria-current={current ? "true" : undefined}
    >
      {children}
    </a>
  );
};

/** Refused apps by reason, the biggest group first; each reason lists its apps. */
const RefusalSummary: FC<{ sourceId: string; view: ReportView; state: ReportState }> = ({
  sourceId,
  view,
  state,
}) => (
  <section id="refusal-groups" aria-labelledby="refusal-groups-title">
    <h2 id="refusal-groups-title">Why apps were refused</h2>
    <p class="muted">
      {view.refused} refused app{view.refused === 1 ? "" : "s"}, each counted once under its first reason.
    </p>
    <Table id="refusal-table" columns={["Reason", { label: "Apps", class: "num" }]}>
      {view.groups.map((g) => (
        <tr>
          <td>
            <ReportLink
              sourceId={sourceId}
              to={{ status: "refused", reason: g.key, page: 1 }}
              current={state.reason === g.key}
            >
              {g.label}
            </ReportLink>
          </td>
          <td class="num">{g.count}</td>
        </tr>
      ))}
    </Table>
  </section>
);

const STATUS_LABELS: Record<ReportStatus, string> = { refused: "Refused", imported: "Imported", all: "All" };

/** The filter: a GET form (a button without JavaScript; htmx sends it on every change). */
const ReportFilter: FC<{ sourceId: string; view: ReportView; state: ReportState }> = ({
  sourceId,
  view,
  state,
}) => {
  const counts: Record<ReportStatus, number> = {
    refused: view.refused,
    imported: view.imported,
    all: view.refused + view.imported,
  };
  return (
    <form
      class="toolbar"
      method="get"
      action={`/stores/${sourceId}`}
      hx-get={`/stores/${sourceId}`}
      hx-trigger="change"
      hx-target="#report-body"
      hx-swap="outerHTML"
      hx-push-url="true"
    >
      <label>
        Show
        <select name="status" id="report-status">
          {(["refused", "imported", "all"] as const).map((s) => (
            <option value={s} selected={s === state.status}>
              {`${STATUS_LABELS[s]} (${counts[s]})`}
            </option>
          ))}
        </select>
      </label>
      {state.status === "refused" && view.groups.length > 0 ? (
        <label>
          Reason
          <select name="reason" id="report-reason">
            <option value="">{`Every reason (${view.refused})`}</option>
            {view.groups.map((g) => (
              <option value={g.key} selected={g.key === state.reason}>
                {`${g.label} (${g.count})`}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <noscript>
        <button type="submit">Show</button>
      </noscript>
    </form>
  );
};

function countLine(view: ReportView, state: ReportState): string {
  const what =
    state.status === "all"
      ? `${view.total} app${view.total === 1 ? "" : "s"}`
      : `${view.total} ${state.status} app${view.total === 1 ? "" : "s"}`;
  const group = state.reason ? view.groups.find((g) => g.key === state.reason)?.label : undefined;
  return `${what}${group ? `: ${group}` : ""}${view.pages > 1 ? ` · page ${view.page} of ${view.pages}` : ""}`;
}

const EntryRows: FC<{ entries: ReportEntry[]; status: ReportStatus }> = ({ entries, status }) => {
  const name = (e: ReportEntry) =>
    e.status === "imported" ? <a href={`/catalog/${encodeURIComponent(e.id)}`}>{e.name}</a> : e.name;
  if (status === "all")
    return (
      <Table id="report-entries" columns={["App", "Why, or what was changed"]}>
        {entries.map((e) => (
          <tr>
            {/* The status sits under the name: a column of its own pushed the reasons off a phone's screen. */}
            <td>
              {name(e)}
              <br />
              <span class={`badge ${e.status === "refused" ? "error" : "running"}`}>{e.status}</span>
            </td>
            <Reasons reasons={e.reasons} muted={e.status === "imported"} />
          </tr>
        ))}
      </Table>
    );
  return (
    <Table id="report-entries" columns={["App", status === "refused" ? "Why" : "Changed on the way"]}>
      {entries.map((e) => (
        <tr>
          <td>{name(e)}</td>
          <Reasons reasons={e.reasons} muted={e.status === "imported"} />
        </tr>
      ))}
    </Table>
  );
};

/** The part of the report a filter or a page changes (htmx swaps it; the page's head stays). */
export const ReportBody: FC<{ sourceId: string; view: ReportView; state: ReportState }> = ({
  sourceId,
  view,
  state,
}) => (
  <div id="report-body">
    {view.groups.length > 0 ? <RefusalSummary sourceId={sourceId} view={view} state={state} /> : null}
    <h2 id="report-apps">Apps</h2>
    <ReportFilter sourceId={sourceId} view={view} state={state} />
    <p class="count" role="status">
      {countLine(view, state)}
    </p>
    {view.total === 0 ? (
      <Empty title={state.status === "refused" ? "No app was refused" : "No app here"}>
        <p>
          <ReportLink sourceId={sourceId} to={{ status: "all", reason: "", page: 1 }}>
            Show every app of the store
          </ReportLink>
        </p>
      </Empty>
    ) : (
      <EntryRows entries={view.entries} status={state.status} />
    )}
    {view.pages > 1 ? (
      <nav aria-label="Pages of the report">
        <ul>
          <li>
            {view.page > 1 ? (
              <ReportLink sourceId={sourceId} to={{ ...state, page: view.page - 1 }}>
                Previous
              </ReportLink>
            ) : null}
          </li>
          <li>
            {view.page < view.pages ? (
              <ReportLink sourceId={sourceId} to={{ ...state, page: view.page + 1 }}>
                Next
              </ReportLink>
            ) : null}
          </li>
        </ul>
      </nav>
    ) : null}
  </div>
);

export const ReportPage: FC<{
  page: PageContext;
  source: CatalogSourceRow;
  view: ReportView;
  state: ReportState;
}> = ({ page, source, view, state }) => (
  <Layout title={`${source.name}: import report`} page={page}>
    <p>
      <a href="/stores">← App stores</a>
    </p>
    <h1>{source.name}: import report</h1>
    <p>
      {statusBadge(source)} {view.imported} imported, {view.refused} refused
      {source.fetchedAt ? <> · {when(source.fetchedAt)}</> : null}
    </p>
    {source.error ? <p class="reason">{source.error}</p> : null}
    <ReportBody sourceId={source.id} view={view} state={state} />
  </Layout>
);
