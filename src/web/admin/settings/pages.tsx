/** The Settings page (administrators): registration, defaults of new apps, network and storage, quotas. */
import type { FC } from "hono/jsx";
import type { Settings } from "../../../features/settings/settings.schemas.ts";
import {
  type FieldErrors,
  type FormProps,
  InputField,
  Layout,
  type PageContext,
  SwapForm,
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
}> = ({ name, label, stored, values, errors, type = "text", min, help }) => (
  <InputField
    label={label}
    name={name}
    errors={errors}
    type={type}
    min={min}
    value={values[name] ?? stored}
    spellcheck={false}
    help={help}
  />
);

/** One group's number inputs side by side: [name, label, minimum, stored value] each. */
const NumberFields: FC<{
  fields: [name: string, label: string, min: number, stored: string][];
  values: Record<string, string>;
  errors: FieldErrors;
}> = ({ fields, values, errors }) => (
  <div class="grid">
    {fields.map(([name, label, min, stored]) => (
      <Field
        values={values}
        errors={errors}
        name={name}
        label={label}
        type="number"
        min={min}
        stored={stored}
      />
    ))}
  </div>
);

export const SettingsForm: FC<FormProps & { settings: Settings }> = ({
  settings: s,
  csrf,
  errors,
  values = {},
}) => {
  const registration = values.registration ?? s.registration;
  const quota = (v: number | null) => (v === null ? "" : String(v));
  const f = { values, errors };
  return (
    <SwapForm id="settings-form" hx-put="/settings" csrf={csrf} errors={errors}>
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
        <NumberFields
          {...f}
          fields={[
            ["resources.cores", "Cores", 1, String(s.resources.cores)],
            ["resources.memory_mb", "Memory (MiB)", 128, String(s.resources.memory_mb)],
            ["resources.disk_gb", "Disk (GiB)", 1, String(s.resources.disk_gb)],
          ]}
        />
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
        <NumberFields
          {...f}
          fields={[
            ["quotas.apps_per_user", "Apps", 0, quota(s.quotas.apps_per_user)],
            [
              "quotas.jobs_in_flight_per_user",
              "Operations at once",
              0,
              quota(s.quotas.jobs_in_flight_per_user),
            ],
            ["quotas.memory_mb_per_user", "Memory (MiB)", 0, quota(s.quotas.memory_mb_per_user)],
            ["quotas.disk_gb_per_user", "Disk (GiB)", 0, quota(s.quotas.disk_gb_per_user)],
          ]}
        />
        <Switch
          name="quotas.admins_exempt"
          checked={(values["quotas.admins_exempt"] ?? String(s.quotas.admins_exempt)) === "true"}
        >
          Administrators are exempt
        </Switch>
      </fieldset>
      <fieldset>
        <legend>Third-party app stores</legend>
        <Switch
          name="catalog.community_installs"
          checked={
            (values["catalog.community_installs"] ?? String(s.catalog.community_installs === "everyone")) ===
            "true"
          }
        >
          Everyone may install community apps (imported from a store, not checked by Proximity); off:
          administrators only
        </Switch>
        <NumberFields
          {...f}
          fields={[
            [
              "catalog.source_refresh_hours",
              "Import the stores again every (hours; 0: only on demand)",
              0,
              String(s.catalog.source_refresh_hours),
            ],
          ]}
        />
      </fieldset>
      <button type="submit">Save settings</button>
    </SwapForm>
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
