/**
 * The install form generated from a catalog entry: hostname, node with its free memory, runtime with why it
 * is preselected, resources with the entry's minimums, and the entry's settings as the input their type
 * calls for. Its inputs carry the deploy request's field names, so the API's details land beside them.
 */
import type { FC } from "hono/jsx";
import type { CatalogEntry, CatalogEnv } from "../../features/catalog/catalog.schemas.ts";
import {
  type FieldErrors,
  FieldMessage,
  fieldAria,
  InputField,
  ResourceFields,
  SelectField,
  SwapForm,
  Switch,
} from "../kit/index.ts";

export interface InstallValues {
  hostname: string;
  node: string;
  /** "" = the default runtime (the form preselects it, see `runtime`). */
  runtime: string;
  cores: string;
  memory_mb: string;
  disk_gb: string;
  env: Record<string, string>;
}

export interface NodeChoice {
  name: string;
  memoryFree: number | null;
  online: boolean;
}

/** The runtime a deploy without one gets on the default host, and why (shown under the choice). */
export interface RuntimeChoice {
  preselected: "docker" | "oci";
  why: string;
}

/** The runtimes an entry may offer, in the order the form lists them. */
const RUNTIMES = [
  ["docker", "Docker in LXC"],
  ["oci", "OCI container"],
] as const;

function gib(bytes: number | null): string {
  return bytes === null ? "unknown" : `${(bytes / 1024 ** 3).toFixed(1)} GiB free`;
}

/** One catalog setting as the input its type calls for: a switch, a number, a URL, an e-mail, or text. */
const SettingInput: FC<{ env: CatalogEnv; value: string; errors: FieldErrors }> = ({
  env: e,
  value,
  errors,
}) => {
  const name = `environment.${e.name}`;
  const helpId = `${name}-help`.replace(/[^A-Za-z0-9_-]/g, "-");
  // A store's description may end without a full stop ("Password for the web admin user").
  const sentence = /[.!?:)]$/.test(e.description.trim()) ? e.description.trim() : `${e.description.trim()}.`;
  const help = e.secret
    ? `${sentence} Kept encrypted; shown only when you reveal the app's credentials.`
    : e.description;
  if (e.type === "boolean") {
    const aria = fieldAria(errors, name, helpId);
    return (
      <div class="setting">
        <Switch
          name={name}
          checked={value === "true"}
          describedBy={aria["aria-describedby"]}
          invalid={errors[name] !== undefined}
        >
          {e.name}
        </Switch>
        <FieldMessage errors={errors} name={name} helpId={helpId} help={help} />
      </div>
    );
  }
  const generated = e.generate !== undefined;
  const type = e.secret
    ? "password"
    : e.type === "number"
      ? "number"
      : e.type === "url"
        ? "url"
        : e.type === "email"
          ? "email"
          : "text";
  return (
    <InputField
      label={
        <>
          {e.name}
          {e.required ? <span aria-hidden="true"> *</span> : null}
          {e.required ? <span class="muted"> (required)</span> : null}
        </>
      }
      name={name}
      errors={errors}
      type={type}
      value={e.secret ? "" : value}
      required={e.required}
      autocomplete={e.secret ? "new-password" : "off"}
      placeholder={
        generated ? "Generated automatically if left empty" : e.type === "url" ? "https://…" : undefined
      }
      help={help}
      helpId={helpId}
    />
  );
};

export const InstallForm: FC<{
  entry: CatalogEntry;
  values: InstallValues;
  errors: FieldErrors;
  nodes: NodeChoice[];
  csrf: string;
  hostMissing: boolean;
  runtime: RuntimeChoice;
}> = ({ entry, values, errors, nodes, csrf, hostMissing, runtime }) => {
  const chosen = values.runtime || runtime.preselected;
  return (
    <SwapForm
      id="install-form"
      method="post"
      action={`/catalog/${encodeURIComponent(entry.id)}/install`}
      hx-post={`/catalog/${encodeURIComponent(entry.id)}/install`}
      hx-disable="find button"
      csrf={csrf}
      errors={errors}
    >
      {errors.runtime && entry.runtimes.length < 2 ? (
        <p class="reason" role="alert">
          {errors.runtime}
        </p>
      ) : null}
      {hostMissing ? (
        <p class="reason">
          No Proxmox host is configured yet; an administrator must add one on the Hosts page.
        </p>
      ) : null}
      <InputField
        label="Hostname"
        name="hostname"
        errors={errors}
        value={values.hostname}
        required
        autocomplete="off"
        spellcheck={false}
        help="The container's name on Proxmox: lower-case letters, digits and inner hyphens, at most 63."
      />
      <SelectField label="Node" name="node" errors={errors}>
        <option value="">Automatic (the node with the most free memory)</option>
        {nodes.map((n) => (
          <option value={n.name} selected={values.node === n.name} disabled={!n.online}>
            {`${n.name} — ${n.online ? gib(n.memoryFree) : "offline"}`}
          </option>
        ))}
      </SelectField>
      {entry.runtimes.length > 1 ? (
        <SelectField
          label="Runtime"
          name="runtime"
          errors={errors}
          options={RUNTIMES.filter(([r]) => entry.runtimes.includes(r)).map(([r, label]) => [
            r,
            `${label}${runtime.preselected === r ? " (default)" : ""}`,
          ])}
          value={chosen}
          help={`${runtime.why} An OCI container (Proxmox VE 9.1+, a technology preview) runs the image itself, without Docker; Docker in LXC works on every version and keeps the app's logs.`}
        />
      ) : null}
      <ResourceFields errors={errors} stored={values} min={entry.min} atLeast />
      {entry.env.length ? (
        <fieldset>
          <legend>Settings</legend>
          {entry.env.map((e) => (
            <SettingInput env={e} value={values.env[e.name] ?? e.default ?? ""} errors={errors} />
          ))}
        </fieldset>
      ) : null}
      {entry.id.includes("/") ? (
        <p class="muted" id="community-note">
          A community entry: imported from the store {entry.id.split("/")[0]} and not checked by Proximity.
        </p>
      ) : null}
      {entry.unpinned_images.length > 0 ? (
        <p class="muted" id="unpinned-note">
          Image not pinned ({entry.unpinned_images.join(", ")}): Proximity cannot offer updates for this app.
          It runs whatever the image is when it is installed; updating it is up to you.
        </p>
      ) : null}
      <button type="submit" disabled={hostMissing}>
        Install {entry.name}
      </button>
    </SwapForm>
  );
};
