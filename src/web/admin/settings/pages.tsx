/** The Settings page (administrators): registration, defaults of new apps, network and storage, quotas. */
import type { FC } from "hono/jsx";
import type { Settings } from "../../../features/settings/settings.schemas.ts";
import {
  Csrf,
  type FieldErrors,
  FieldMessage,
  FormMessage,
  fieldAria,
  Layout,
  type PageContext,
  Switch,
} from "../../kit/index.ts";

/** Inputs carry the API's field names (`resources.cores`); `values` are what was typed, on an error. */
const Field: FC<{
  name: string;
  label: string;
  stored: string;
  values: Record<string, string>;
  errors: FieldErrors;
  type?: "number" | "text";
  min?: number;
  help?: string;
}> = ({ name, label, stored, values, errors, type = "text", min, help }) => {
  const helpId = help ? `${name.replace(/\W/g, "-")}-help` : undefined;
  return (
    <label>
      {label}
      <input
        type={type}
        name={name}
        min={min}
        value={values[name] ?? stored}
        spellcheck={false}
        {...fieldAria(errors, name, helpId)}
      />
      <FieldMessage errors={errors} name={name} helpId={helpId} help={help} />
    </label>
  );
};

export const SettingsForm: FC<{
  settings: Settings;
  csrf: string;
  errors: FieldErrors;
  values?: Record<string, string>;
}> = ({ settings: s, csrf, errors, values = {} }) => {
  const registration = values.registration ?? s.registration;
  const quota = (v: number | null) => (v === null ? "" : String(v));
  const f = { values, errors };
  return (
    <form id="settings-form" hx-put="/settings" hx-target="this" hx-swap="outerHTML" novalidate>
      <Csrf token={csrf} />
      <FormMessage errors={errors} />
      <fieldset>
        <legend>Registration</legend>
        <label>
          <input type="radio" name="registration" value="closed" checked={registration === "closed"} />
          Closed: administrators create accounts
        </label>
        <label>
          <input type="radio" name="registration" value="open" checked={registration === "open"} />
          Open: anyone who reaches this page may sign up
        </label>
      </fieldset>
      <fieldset>
        <legend>Default resources of new apps</legend>
        <div class="grid">
          <Field
            {...f}
            name="resources.cores"
            label="Cores"
            type="number"
            min={1}
            stored={String(s.resources.cores)}
          />
          <Field
            {...f}
            name="resources.memory_mb"
            label="Memory (MiB)"
            type="number"
            min={128}
            stored={String(s.resources.memory_mb)}
          />
          <Field
            {...f}
            name="resources.disk_gb"
            label="Disk (GiB)"
            type="number"
            min={1}
            stored={String(s.resources.disk_gb)}
          />
        </div>
      </fieldset>
      <fieldset>
        <legend>Network and storage</legend>
        <div class="grid">
          <Field {...f} name="network.bridge" label="Bridge" stored={s.network.bridge} help="e.g. vmbr0" />
          <Field {...f} name="storage.rootfs" label="Container storage" stored={s.storage.rootfs} />
          <Field {...f} name="storage.backups" label="Backup storage" stored={s.storage.backups} />
        </div>
      </fieldset>
      <fieldset>
        <legend>Limits per user (empty: no limit)</legend>
        <div class="grid">
          <Field
            {...f}
            name="quotas.apps_per_user"
            label="Apps"
            type="number"
            min={0}
            stored={quota(s.quotas.apps_per_user)}
          />
          <Field
            {...f}
            name="quotas.jobs_in_flight_per_user"
            label="Operations at once"
            type="number"
            min={0}
            stored={quota(s.quotas.jobs_in_flight_per_user)}
          />
          <Field
            {...f}
            name="quotas.memory_mb_per_user"
            label="Memory (MiB)"
            type="number"
            min={0}
            stored={quota(s.quotas.memory_mb_per_user)}
          />
          <Field
            {...f}
            name="quotas.disk_gb_per_user"
            label="Disk (GiB)"
            type="number"
            min={0}
            stored={quota(s.quotas.disk_gb_per_user)}
          />
        </div>
        <Switch
          name="quotas.admins_exempt"
          checked={(values["quotas.admins_exempt"] ?? String(s.quotas.admins_exempt)) === "true"}
        >
          Administrators are exempt
        </Switch>
      </fieldset>
      <button type="submit">Save settings</button>
    </form>
  );
};

export const SettingsPage: FC<{ page: PageContext; settings: Settings }> = ({ page, settings }) => (
  <Layout title="Settings" page={page}>
    <h1>Settings</h1>
    <p>
      <a href="/settings/access">Access: HTTPS names for apps →</a>
    </p>
    <SettingsForm settings={settings} csrf={page.csrf} errors={{}} />
  </Layout>
);
