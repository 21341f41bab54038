/** /stores (administrators): third-party app stores as catalog sources: list, add, refresh, remove, report. */
import { Hono } from "hono";
import { CreateSourceBody } from "../../../features/catalog/sources/sources.routes.ts";
import type { WebEnv } from "../../context.ts";
import { actor, page, parsed, readForm, redirect, submitForm } from "../../kit/index.ts";
import { AddStoreForm, ReportPage, StoresPage, StoresTable } from "./pages.tsx";

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

  r.get("/:id", async (c) => {
    const sources = c.get("services").sources;
    const source = await sources.get(c.req.param("id"));
    const entries = await sources.report(source.id);
    return c.html(<ReportPage page={page(c, "/stores")} source={source} entries={entries} />);
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
