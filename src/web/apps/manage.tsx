/** An app's Manage section: resize, settings, update, clone, delete — each offered only when it can run. */
import type { Child, FC } from "hono/jsx";
import type { Application } from "../../db/schema.ts";
import { canRun, OPERATIONS, type Operation } from "../../features/apps/index.ts";
import { Csrf, type FieldErrors, FormMessage, InputField, inState, statusLabel } from "../kit/index.ts";

/** Why an operation cannot run in the app's current state, or undefined when it can. */
function blocked(app: Application, operation: Operation, what: string): string | undefined {
  if (canRun(operation, app.status)) return undefined;
  const allowed = OPERATIONS[operation].from.map(statusLabel).join(" or ");
  return `${what} is possible when the app is ${allowed}; it is ${inState(app.status)} now.`;
}

/** Whether the catalog has another version for this app, and whether it may be taken in place. */
export interface UpdateOffer {
  /** The catalog's version, when it differs from the installed one. */
  to?: string;
  /** Why the update would be refused (a major step the app does not migrate, …). */
  refusal?: string;
}

const Unavailable: FC<{ reason: string | undefined }> = ({ reason }) =>
  reason ? <p class="muted unavailable">{reason}</p> : null;

/**
 * A form of the Manage section: sent by htmx and swapped for its answer (the fresh form, or the same one
 * with errors beside the fields), confirmed first, with why it cannot run now above its fields.
 */
const ManageForm: FC<{
  id: string;
  /** The request the form makes: `hx-patch` or `hx-post` to this URL. */
  patch?: string;
  post?: string;
  confirm: string;
  csrf: string;
  errors: FieldErrors;
  reason: string | undefined;
  children: Child;
}> = ({ id, patch, post, confirm, csrf, errors, reason, children }) => (
  <form
    id={id}
    hx-patch={patch}
    hx-post={post}
    hx-target="this"
    hx-swap="outerHTML"
    hx-confirm={confirm}
    novalidate
  >
    <Csrf token={csrf} />
    <FormMessage errors={errors} />
    <Unavailable reason={reason} />
    {children}
  </form>
);

export const ResizeForm: FC<{
  app: Application;
  csrf: string;
  errors: FieldErrors;
  values?: Record<string, string>;
}> = ({ app, csrf, errors, values = {} }) => {
  const reason = blocked(app, "reconfigure", "Resizing");
  const v = (k: "cores" | "memory_mb" | "disk_gb") => values[`resources.${k}`] ?? String(app.resources[k]);
  return (
    <ManageForm
      id="resize-form"
      patch={`/apps/${app.id}/resources`}
      confirm="Apply the new resources? The app restarts if needed."
      csrf={csrf}
      errors={errors}
      reason={reason}
    >
      <fieldset class="grid" disabled={reason !== undefined}>
        <InputField
          label="Cores"
          name="resources.cores"
          errors={errors}
          type="number"
          min={1}
          value={v("cores")}
        />
        <InputField
          label="Memory (MiB)"
          name="resources.memory_mb"
          errors={errors}
          type="number"
          min={128}
          step={128}
          value={v("memory_mb")}
        />
        <InputField
          label="Disk (GiB, can only grow)"
          name="resources.disk_gb"
          errors={errors}
          type="number"
          min={app.resources.disk_gb}
          value={v("disk_gb")}
        />
      </fieldset>
      <button type="submit" class="secondary" disabled={reason !== undefined}>
        Resize
      </button>
    </ManageForm>
  );
};

export const EnvironmentForm: FC<{
  app: Application;
  csrf: string;
  errors: FieldErrors;
  values?: Record<string, string>;
}> = ({ app, csrf, errors, values = {} }) => {
  const reason =
    app.status === "running"
      ? undefined
      : `Settings can change while the app runs; it is ${inState(app.status)} now.`;
  return (
    <ManageForm
      id="environment-form"
      patch={`/apps/${app.id}/environment`}
      confirm="Apply the new settings? The app's containers are recreated."
      csrf={csrf}
      errors={errors}
      reason={reason}
    >
      <fieldset disabled={reason !== undefined}>
        {Object.entries(app.environment).map(([k, v]) => (
          <InputField
            label={k}
            name={`environment.${k}`}
            errors={errors}
            value={values[`environment.${k}`] ?? v}
          />
        ))}
      </fieldset>
      <button type="submit" class="secondary" disabled={reason !== undefined}>
        Save settings
      </button>
    </ManageForm>
  );
};

export const CloneForm: FC<{ app: Application; csrf: string; errors: FieldErrors; hostname?: string }> = ({
  app,
  csrf,
  errors,
  hostname,
}) => {
  const reason =
    blocked(app, "clone", "Cloning") ??
    (app.catalogId ? undefined : "An adopted app without a catalog entry cannot be cloned.");
  return (
    <ManageForm
      id="clone-form"
      post={`/apps/${app.id}/clone`}
      confirm="Clone this app?"
      csrf={csrf}
      errors={errors}
      reason={reason}
    >
      <InputField
        label="Clone under the hostname"
        name="hostname"
        errors={errors}
        placeholder={`${app.hostname.slice(0, 58)}-copy`}
        value={hostname ?? ""}
        required
        maxlength={63}
        autocomplete="off"
        spellcheck={false}
        disabled={reason !== undefined}
        help="Lower-case letters, digits and inner hyphens, at most 63."
        helpId="clone-hostname-help"
      />
      <button type="submit" class="secondary" disabled={reason !== undefined}>
        Clone
      </button>
    </ManageForm>
  );
};

const UpdateAction: FC<{ app: Application; offer: UpdateOffer }> = ({ app, offer }) => {
  if (!offer.to) {
    return (
      <p class="muted" id="update-none">
        Up to date: {app.name} {app.catalogVersion ?? ""} is the catalog's version.
      </p>
    );
  }
  if (offer.refusal) {
    return (
      <p class="muted" id="update-refused">
        Version {offer.to} is in the catalog, but cannot be taken in place: {offer.refusal}
      </p>
    );
  }
  const reason = blocked(app, "update", "Updating");
  return (
    <div class="actions-row">
      <button
        type="button"
        class="secondary"
        hx-post={`/apps/${app.id}/update`}
        hx-swap="none"
        disabled={reason !== undefined}
        hx-confirm={`Update ${app.hostname} to ${offer.to}? It restarts. To be able to go back, take a backup first (Back up now, under Backups).`}
      >
        Update to {offer.to}
      </button>
      <Unavailable reason={reason} />
    </div>
  );
};

export const ManageSection: FC<{ app: Application; csrf: string; update: UpdateOffer }> = ({
  app,
  csrf,
  update,
}) => {
  const deleteReason = blocked(app, "delete", "Deleting");
  return (
    <section id="manage">
      <h2>Manage</h2>
      <details>
        <summary>Resources</summary>
        <ResizeForm app={app} csrf={csrf} errors={{}} />
      </details>
      {Object.keys(app.environment).length ? (
        <details>
          <summary>Settings</summary>
          <EnvironmentForm app={app} csrf={csrf} errors={{}} />
        </details>
      ) : null}
      <details>
        <summary>Update, clone or delete</summary>
        <h3>Update</h3>
        <UpdateAction app={app} offer={update} />
        <h3>Clone</h3>
        <CloneForm app={app} csrf={csrf} errors={{}} />
        <h3>Delete</h3>
        <form
          hx-post={`/apps/${app.id}/delete`}
          hx-swap="none"
          hx-confirm={`Delete ${app.hostname} and its container? This cannot be undone.`}
        >
          <Csrf token={csrf} />
          <Unavailable reason={deleteReason} />
          <label>
            <input type="checkbox" name="keep_backups" value="true" checked />
            Keep its backups
          </label>
          {app.adopted ? (
            <label>
              <input type="checkbox" name="keep_container" value="true" checked />
              Keep the container (it was adopted)
            </label>
          ) : null}
          <button type="submit" class="contrast" id="delete-app" disabled={deleteReason !== undefined}>
            Delete app
          </button>
        </form>
      </details>
    </section>
  );
};
