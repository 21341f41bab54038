/** /audit (administrators): the audit trail, filtered and paged, its targets named. */
import { Hono } from "hono";
import type { WebEnv } from "../../context.ts";
import { page } from "../../kit/index.ts";
import { AuditPage } from "./pages.tsx";

const PER_PAGE = 50;
const FILTERS = ["actor", "action", "from", "to", "page"] as const;

/** A YYYY-MM-DD filter as the start (or the end) of that day in UTC. */
function day(s: string | undefined, end = false): Date | undefined {
  return s && /^\d{4}-\d{2}-\d{2}$/.test(s)
    ? new Date(`${s}T${end ? "23:59:59.999" : "00:00:00"}Z`)
    : undefined;
}

export function auditRoutes() {
  const r = new Hono<WebEnv>();

  r.get("/", async (c) => {
    const services = c.get("services");
    // Only the filters this page knows, each at most 100 characters: the query is echoed into links.
    const q: Record<string, string> = {};
    for (const k of FILTERS) {
      const v = c.req.query(k);
      if (v) q[k] = v.slice(0, 100);
    }
    const pageNo = Math.max(1, Math.min(100_000, Number(q.page) || 1));
    const from = day(q.from);
    const to = day(q.to, true);
    const { items, total } = await services.audit.list({
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      page: pageNo,
      perPage: PER_PAGE,
    });
    const ids = (type: string) =>
      items.filter((e) => e.targetType === type && e.targetId).map((e) => e.targetId!);
    const [apps, users, hosts] = await Promise.all([
      services.apps.hostnames(ids("app")),
      services.users.usernames(ids("user")),
      services.hosts.list(),
    ]);
    const remembered = new Map<string, string>();
    for (const e of items) {
      const hostname = (e.details as Record<string, unknown> | null)?.hostname;
      if (e.targetType === "app" && e.targetId && typeof hostname === "string")
        remembered.set(e.targetId, hostname);
    }
    const names = { apps, users, remembered, hosts: new Map(hosts.map((h) => [h.id, h.name])) };
    const pages = Math.max(1, Math.ceil(total / PER_PAGE));
    return c.html(
      <AuditPage
        page={page(c, "/audit")}
        query={q}
        items={items}
        names={names}
        total={total}
        pageNo={pageNo}
        pages={pages}
      />,
    );
  });

  return r;
}
