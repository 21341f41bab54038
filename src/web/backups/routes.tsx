/** An app's backups: back up now, restore, delete, the list, and the schedule with retention. */
import { Hono } from "hono";
import { ScheduleBody } from "../../features/backups/backups.schemas.ts";
import type { WebEnv } from "../context.ts";
import {
  actor,
  formNumber,
  parsed,
  readForm,
  savedForm,
  submitForm,
  toast,
  viewer,
  type WebContext,
} from "../kit/index.ts";
import { BackupList, ScheduleForm } from "./pages.tsx";

/** The refreshed list plus a toast (the answer to create and delete). */
async function listWithToast(c: WebContext, appId: string, message: string) {
  const services = c.get("services");
  const app = await services.apps.get(viewer(c), appId);
  const { items } = await services.backups.list(viewer(c), { appId, page: 1, perPage: 50 });
  const list = (
    <hx-partial hx-target="#backup-list" hx-swap="innerHTML">
      <BackupList app={app} backups={items} />
    </hx-partial>
  );
  return toast(c, message, 202, list);
}

export function backupsRoutes() {
  const r = new Hono<WebEnv>();

  r.get("/:id/backups", async (c) => {
    const services = c.get("services");
    const app = await services.apps.get(viewer(c), c.req.param("id"));
    const { items } = await services.backups.list(viewer(c), { appId: app.id, page: 1, perPage: 50 });
    return c.html(<BackupList app={app} backups={items} />);
  });

  r.post("/:id/backups", async (c) => {
    await c
      .get("services")
      .backups.create(actor(c), c.req.param("id"), { mode: "snapshot", compress: "zstd" });
    return listWithToast(c, c.req.param("id"), "Backup started…");
  });

  r.post("/:id/backups/:backup/restore", async (c) => {
    await c.get("services").backups.restore(actor(c), c.req.param("id"), c.req.param("backup"));
    return toast(c, "Restoring the backup…", 202);
  });

  r.post("/:id/backups/:backup/delete", async (c) => {
    await c.get("services").backups.remove(actor(c), c.req.param("id"), c.req.param("backup"));
    return listWithToast(c, c.req.param("id"), "Backup deleted.");
  });

  r.put("/:id/backup-schedule", async (c) => {
    const services = c.get("services");
    const app = await services.apps.get(viewer(c), c.req.param("id"));
    const f = await readForm(c);
    const csrf = c.get("csrfToken");
    return submitForm(
      c,
      async () => {
        const input = parsed(
          ScheduleBody,
          {
            cron: (f.cron ?? "").trim(),
            timezone: (f.timezone ?? "").trim() || "UTC",
            keep_last: formNumber(f.keep_last) ?? 0,
            keep_daily: formNumber(f.keep_daily) ?? 0,
            keep_weekly: formNumber(f.keep_weekly) ?? 0,
            keep_monthly: formNumber(f.keep_monthly) ?? 0,
            mode: "snapshot",
            compress: "zstd",
            storage: null,
            enabled: f.enabled === "true",
          },
          "The schedule is invalid",
        );
        const schedule = await services.backups.putSchedule(actor(c), app.id, input);
        const form = <ScheduleForm app={app} schedule={schedule} csrf={csrf} errors={{}} />;
        return savedForm(c, form, "Backup schedule saved.");
      },
      (errors) => <ScheduleForm app={app} schedule={undefined} csrf={csrf} errors={errors} values={f} />,
    );
  });

  return r;
}
