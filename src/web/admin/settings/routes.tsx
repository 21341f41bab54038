/** /settings and /settings/access (administrators): the forms, validated by the API's own schemas. */
import { Hono } from "hono";
import { AccessUpdateBody } from "../../../features/access/access.schemas.ts";
import { SettingsUpdateSchema } from "../../../features/settings/settings.schemas.ts";
import type { WebEnv } from "../../context.ts";
import { actor, formNumber, page, parsed, readForm, savedForm, submitForm } from "../../kit/index.ts";
import { AccessForm, AccessPage, AccessStatus } from "./access.tsx";
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
            // A form without these fields (an older page) keeps the stored values.
            catalog: {
              community_installs:
                f["catalog.community_installs"] === undefined
                  ? current.catalog.community_installs
                  : f["catalog.community_installs"] === "true"
                    ? "everyone"
                    : "admins",
              source_refresh_hours:
                f["catalog.source_refresh_hours"] === undefined
                  ? current.catalog.source_refresh_hours
                  : required(f["catalog.source_refresh_hours"]),
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

  r.get("/access", async (c) => {
    const access = await c.get("services").access.view();
    return c.html(<AccessPage page={page(c, "/settings")} access={access} />);
  });

  r.get("/access/status", async (c) =>
    c.html(<AccessStatus access={await c.get("services").access.view()} />),
  );

  r.put("/access", async (c) => {
    const f = await readForm(c);
    const access = c.get("services").access;
    const current = await access.view(false);
    const optional = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);
    return submitForm(
      c,
      async () => {
        const input = parsed(
          AccessUpdateBody,
          {
            domain: f.domain ?? "",
            certificates: f.certificates,
            ...(f.certificates === "acme"
              ? {
                  acme_directory: optional(f.acme_directory),
                  acme_email: optional(f.acme_email),
                  challenge: f.challenge,
                }
              : {}),
            // An empty token keeps the stored one (it is write-only and never shown).
            ...(f.certificates === "acme" && f.challenge === "dns" && optional(f["dns_provider.api_token"])
              ? {
                  dns_provider: {
                    kind: "cloudflare",
                    api_token: optional(f["dns_provider.api_token"]),
                    zone_id: optional(f["dns_provider.zone_id"]),
                  },
                }
              : {}),
          },
          "The access settings are invalid",
        );
        const saved = await access.update(actor(c), input);
        return savedForm(
          c,
          <>
            <AccessForm access={saved} csrf={c.get("csrfToken")} errors={{}} />
            <AccessStatus access={saved} oob />
          </>,
          "Access settings saved.",
        );
      },
      (errors) => <AccessForm access={current} csrf={c.get("csrfToken")} errors={errors} values={f} />,
    );
  });

  return r;
}
