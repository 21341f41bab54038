/** /settings (administrators): the form, validated by the API's own schema. */
import { Hono } from "hono";
import { SettingsUpdateSchema } from "../../../features/settings/settings.schemas.ts";
import type { WebEnv } from "../../context.ts";
import { actor, formNumber, page, parsed, readForm, savedForm, submitForm } from "../../kit/index.ts";
import { SettingsForm, SettingsPage } from "./pages.tsx";

/** A quota field: empty is "no limit" (null). */
const quota = (v: string | undefined) => (v === undefined || v.trim() === "" ? null : formNumber(v));
/** A number that must be given: empty stays "" so the schema says so beside the field. */
const required = (v: string | undefined) => formNumber(v) ?? "";

export function settingsRoutes() {
  const r = new Hono<WebEnv>();

  r.get("/", async (c) => {
    const settings = await c.get("services").settings.get();
    return c.html(<SettingsPage page={page(c, "/settings")} settings={settings} />);
  });

  r.put("/", async (c) => {
    const f = await readForm(c);
    const services = c.get("services");
    const current = await services.settings.get();
    return submitForm(
      c,
      async () => {
        const input = parsed(
          SettingsUpdateSchema,
          {
            registration: f.registration,
            resources: {
              cores: required(f["resources.cores"]),
              memory_mb: required(f["resources.memory_mb"]),
              disk_gb: required(f["resources.disk_gb"]),
            },
            network: { ...current.network, bridge: (f["network.bridge"] ?? "").trim() },
            storage: {
              ...current.storage,
              rootfs: (f["storage.rootfs"] ?? "").trim(),
              backups: (f["storage.backups"] ?? "").trim(),
            },
            quotas: {
              apps_per_user: quota(f["quotas.apps_per_user"]),
              jobs_in_flight_per_user: quota(f["quotas.jobs_in_flight_per_user"]),
              memory_mb_per_user: quota(f["quotas.memory_mb_per_user"]),
              disk_gb_per_user: quota(f["quotas.disk_gb_per_user"]),
              admins_exempt: f["quotas.admins_exempt"] === "true",
            },
          },
          "The settings are invalid",
        );
        const saved = await services.settings.update(input, actor(c));
        return savedForm(
          c,
          <SettingsForm settings={saved} csrf={c.get("csrfToken")} errors={{}} />,
          "Settings saved.",
        );
      },
      (errors) => <SettingsForm settings={current} csrf={c.get("csrfToken")} errors={errors} values={f} />,
    );
  });

  return r;
}
