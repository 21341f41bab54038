/** /stores (administrators): third-party app stores as catalog sources: list, add, refresh, remove, report. */
import { Hono } from "hono";
import { REPORT_STATUSES, type ReportStatus } from "../../../features/catalog/sources/report.ts";
import { CreateSourceBody } from "../../../features/catalog/sources/sources.routes.ts";
import type { WebEnv } from "../../context.ts";
import { actor, isHtmx, page, parsed, readForm, redirect, submitForm } from "../../kit/index.ts";
import { AddStoreForm, REPORT_PER_PAGE, ReportBody, ReportPage, StoresPage, StoresTable } from "./pages.tsx";

export function storesRoutes() {
  const r = new Hono<WebEnv>();

  r.get("/", async (c) => {
    const sources = await c.get("services").sources.list();
    return c.html(<StoresPage page={page(c, "/stores")} sources={sources} />);
  });

  r.get("/table", async (c) => c.html(<StoresTable sources={await c.get("services").sources.list()} />));

  r.post("/", async (c) => {
    const f = await readForm(c);
    return submitForm(
      c,
      async () => {
        const input = parsed(
          CreateSourceBody,
          { name: (f.name ?? "").trim(), url: (f.url ?? "").trim(), format: f.format || "auto" },
          "The store cannot be added",
        );
        await c.get("services").sources.create(input, actor(c));
        return redirect(c, "/stores");
      },
      (errors) => <AddStoreForm csrf={c.get("csrfToken")} errors={errors} values={f} />,
    );
  });

  // The report opens on the refusals: what an admin comes to read (the imported apps are in the catalog).
  r.get("/:id", async (c) => {
    const sources = c.get("services").sources;
    const source = await sources.get(c.req.param("id"));
    const wanted = c.req.query("status");
    const status: ReportStatus = REPORT_STATUSES.find((s) => s === wanted) ?? "refused";
    // Only a group's key (it is echoed into links); a reason filters the refusals only.
    const reason = status === "refused" ? (c.req.query("reason") ?? "").slice(0, 60) : "";
    const asked = Math.min(Math.max(Number.parseInt(c.req.query("page") ?? "1", 10) || 1, 1), 10_000);
    const query = { status, page: asked, perPage: REPORT_PER_PAGE };
    let view = await sources.reportView(source.id, {
      ...query,
      reason: /^[a-z0-9-]+$/.test(reason) ? reason : undefined,
    });
    // A reason of an earlier import (a bookmark) is gone after a refresh: every refusal, rather than none.
    const known = view.groups.some((g) => g.key === reason);
    if (reason && !known) view = await sources.reportView(source.id, query);
    const state = { status, reason: known ? reason : "", page: view.page };
    if (isHtmx(c)) return c.html(<ReportBody sourceId={source.id} view={view} state={state} />);
    return c.html(<ReportPage page={page(c, "/stores")} source={source} view={view} state={state} />);
  });

  r.post("/:id/refresh", async (c) => {
    await c.get("services").sources.refresh(c.req.param("id"), actor(c));
    return redirect(c, "/stores");
  });

  r.post("/:id/delete", async (c) => {
    await c.get("services").sources.delete(c.req.param("id"), actor(c));
    return redirect(c, "/stores");
  });

  return r;
}
