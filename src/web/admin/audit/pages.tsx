/** The audit log (administrators): filter by actor, action and dates; each target named and linked. */
import type { FC } from "hono/jsx";
import type { AuditEntry } from "../../../db/schema.ts";
import { Empty, Layout, type PageContext, Table, when } from "../../kit/index.ts";

/** What the page knows of each target: a name and, while it exists, where it lives. */
export interface TargetNames {
  apps: Map<string, string>;
  /** Names of apps gone since, from the rows that recorded one (a deploy's hostname). */
  remembered?: Map<string, string>;
  users: Map<string, string>;
  hosts: Map<string, string>;
}

const Target: FC<{ entry: AuditEntry; names: TargetNames }> = ({ entry: e, names }) => {
  if (!e.targetType || !e.targetId) return <>–</>;
  const details = (e.details ?? {}) as Record<string, unknown>;
  const remembered =
    typeof details.hostname === "string"
      ? details.hostname
      : typeof details.name === "string"
        ? details.name
        : undefined;
  if (e.targetType === "app") {
    const name = names.apps.get(e.targetId);
    return name ? (
      <a href={`/apps/${e.targetId}`}>app {name}</a>
    ) : (
      <>app {remembered ?? names.remembered?.get(e.targetId) ?? e.targetId.slice(0, 8)} (deleted)</>
    );
  }
  if (e.targetType === "user") {
    const name = names.users.get(e.targetId);
    return name ? <a href={`/users#user-${name}`}>user {name}</a> : <>user (deleted)</>;
  }
  if (e.targetType === "host") {
    const name = names.hosts.get(e.targetId);
    return name ? (
      <a href={`/hosts#host-${e.targetId}`}>host {name}</a>
    ) : (
      <>host {remembered ?? ""} (removed)</>
    );
  }
  return (
    <>
      {e.targetType} {e.targetId.slice(0, 8)}
    </>
  );
};

export const AuditPage: FC<{
  page: PageContext;
  query: Record<string, string>;
  items: AuditEntry[];
  names: TargetNames;
  total: number;
  pageNo: number;
  pages: number;
}> = ({ page, query: q, items, names, total, pageNo, pages }) => {
  const link = (p: number) => `/audit?${new URLSearchParams({ ...q, page: String(p) })}`;
  return (
    <Layout title="Audit log" page={page}>
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
        <Table
          columns={[
            "When",
            "Actor",
            "Action",
            "Outcome",
            { label: "Target", class: "hide-sm" },
            { label: "From", class: "hide-sm" },
          ]}
        >
          {items.map((e) => (
            <tr>
              <td>{when(e.at)}</td>
              <td>
                {e.actorUsername ? (
                  <a href={`/audit?${new URLSearchParams({ actor: e.actorUsername })}`}>{e.actorUsername}</a>
                ) : (
                  "system"
                )}
              </td>
              <td>{e.action}</td>
              <td>{e.outcome === "failure" ? <span class="badge error">failure</span> : "ok"}</td>
              <td class="hide-sm">
                <Target entry={e} names={names} />
              </td>
              <td class="hide-sm">{e.ip ?? "–"}</td>
            </tr>
          ))}
        </Table>
      )}
      <nav aria-label="Pages">
        <ul>
          <li>{pageNo > 1 ? <a href={link(pageNo - 1)}>Previous</a> : null}</li>
          <li>{pageNo < pages ? <a href={link(pageNo + 1)}>Next</a> : null}</li>
        </ul>
      </nav>
    </Layout>
  );
};
