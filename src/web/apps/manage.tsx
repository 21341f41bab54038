/** An app's Manage section: resize, settings, update, clone, delete — each offered only when it can run. */
import type { FC, JSX, PropsWithChildren } from "hono/jsx";
import type { Application } from "../../db/schema.ts";
import { canRun, OPERATIONS, type Operation } from "../../features/apps/index.ts";
import {
  Csrf,
  type FieldErrors,
  type FormProps,
  InputField,
  inState,
  PostButton,
  ResourceFields,
  SwapForm,
  statusLabel,
} from "../kit/index.ts";
import { type UpdateOffer, UpdatePolicyForm } from "./day-two.tsx";

/** Why an operation cannot run in the app's current state, or undefined when it can. */
function blocked(app: Application, operation: Operation, what: string): string | undefined {
  if (canRun(operation, app.status)) return undefined;
  const allowed = OPERATIONS[operation].from.map(statusLabel).join(" or ");
  return `${what} is possible when the app is ${allowed}; it is ${inState(app.status)} now.`;
}

const Unavailable: FC<{ reason: string | undefined }> = ({ reason }) =>
  reason ? <p class="muted unavailable">{reason}</p> : null;

/**
 * A form of the Manage section: sent by htmx (`hx-patch` or `hx-post`) and swapped for its answer (the
 * fresh form, or the same one with errors beside the fields), confirmed first, with why it cannot run now
 * above its fields and its submit button disabled then.
 */
const ManageForm: FC<
  PropsWithChildren<
    FormProps & {
      id: string;
      confirm: string;
      reason: string | undefined;
      submit: string;
    } & JSX.IntrinsicElements["form"]
  >
> = ({ confirm, reason, submit, children, ...form }) => (
  <SwapForm {...form} hx-confirm={confirm}>
    <Unavailable reason={reason} />
    {children}
    <button type="submit" class="secondary" disabled={reason !== undefined}>
      {submit}
    </button>
  </SwapForm>
);

export const ResizeForm: FC<FormProps & { app: Application }> = ({ app, csrf, errors, values = {} }) => {
  const reason = blocked(app, "reconfigure", "Resizing");
  return (
    <ManageForm
      id="resize-form"
      hx-patch={`/apps/${app.id}/resources`}
      confirm="Apply the new resources? The app restarts if needed."
      csrf={csrf}
      errors={errors}
      reason={reason}
      submit="Resize"
    >
      <ResourceFields
        errors={errors}
        values={values}
        stored={app.resources}
        min={{ cores: 1, memory_mb: 128, disk_gb: app.resources.disk_gb }}
        growOnly
        disabled={reason !== undefined}
      />
    </ManageForm>
  );
};

export const EnvironmentForm: FC<FormProps & { app: Application }> = ({ app, csrf, errors, values = {} }) => {
  const reason =
    app.status === "running"
      ? undefined
      : `Settings can change while the app runs; it is ${inState(app.status)} now.`;
  return (
    <ManageForm
      id="environment-form"
      hx-patch={`/apps/${app.id}/environment`}
      confirm="Apply the new settings? The app's containers are recreated."
      csrf={csrf}
      errors={errors}
      reason={reason}
      submit="Save settings"
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
    </ManageForm>
  );
};

export const CloneForm: FC<FormProps & { app: Application; hostname?: string }> = ({
  app,
  csrf,
  errors,
  hostname,
}) => {
  const reason =
    blocked(app, "clone", "Cloning") ??
    (app.catalogId || app.runtime === "lxc"
      ? undefined
      : "An adopted app without a catalog entry cannot be cloned.");
  return (
    <ManageForm
      id="clone-form"
      hx-post={`/apps/${app.id}/clone`}
      confirm="Clone this app?"
      csrf={csrf}
      errors={errors}
      reason={reason}
      submit="Clone"
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
    </ManageForm>
  );
};

/** An adopted container's update: its helper script's own /usr/bin/update, when it was made by one. */
const ScriptUpdateAction: FC<{ app: Application }> = ({ app }) => {
  if (!app.scriptSlug) {
    return (
      <p class="muted" id="update-none">
        No update: Proximity did not install what runs in this container, and it was not made by a community
        helper script (whose /usr/bin/update Proximity can run). Update it the way it was installed.
      </p>
    );
  }
  const reason = blocked(app, "update", "Updating");
  return (
    <div>
      <p class="muted">
        Runs the container's own /usr/bin/update (the helper script “{app.scriptSlug}”), after a snapshot; if
        it fails or the app does not answer afterwards, the container is rolled back to the snapshot.
      </p>
      <div class="actions-row">
        <PostButton
          post={`/apps/${app.id}/update`}
          confirm={`Run ${app.hostname}'s /usr/bin/update? A snapshot is taken first and restored if the update fails.`}
          class="secondary"
          id="update-script"
          disabled={reason !== undefined}
        >
          Run the helper script's update
        </PostButton>
        <Unavailable reason={reason} />
      </div>
    </div>
  );
};

const UpdateAction: FC<{ app: Application; offer: UpdateOffer }> = ({ app, offer }) => {
  if (app.runtime === "lxc") return <ScriptUpdateAction app={app} />;
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
      <PostButton
        post={`/apps/${app.id}/update`}
        confirm={
          app.runtime === "docker"
            ? `Update ${app.hostname} to ${offer.to}? It restarts. A snapshot of its container is taken first: if the new version does not answer its health check, the app is rolled back to it.`
            : `Update ${app.hostname} to ${offer.to}? It restarts. To be able to go back, take a backup first (Back up now, under Backups).`
        }
        class="secondary"
        disabled={reason !== undefined}
      >
        Update to {offer.to}
      </PostButton>
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
        {app.catalogId ? <UpdatePolicyForm app={app} csrf={csrf} errors={{}} /> : null}
        <h3>Clone</h3>
        <CloneForm app={app} csrf={csrf} errors={{}} />
        {app.adopted ? (
          <AdoptedDeleteForms app={app} csrf={csrf} errors={{}} reason={deleteReason} />
        ) : (
          <>
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
              <button type="submit" class="contrast" id="delete-app" disabled={deleteReason !== undefined}>
                Delete app
              </button>
            </form>
          </>
        )}
      </details>
    </section>
  );
};

/**
 * An adopted app ends one of two ways. Release: Proximity forgets it and the container stays exactly as it
 * is (running, tags and description untouched). Delete: the container is destroyed, only once its hostname
 * has been typed (it was not Proximity's to begin with).
 */
export const AdoptedDeleteForms: FC<{
  app: Application;
  csrf: string;
  errors: FieldErrors;
  reason: string | undefined;
}> = ({ app, csrf, errors, reason }) => (
  <div id="adopted-delete">
    <h3>Release</h3>
    <form
      hx-post={`/apps/${app.id}/delete`}
      hx-swap="none"
      hx-confirm={`Release ${app.hostname}? Proximity stops managing it; the container keeps running as it is.`}
    >
      <Csrf token={csrf} />
      <input type="hidden" name="keep_container" value="true" />
      <p class="muted">
        Proximity stops managing it: the container keeps running exactly as it is, and shows up again under
        the host's unmanaged containers. Its backups are kept.
      </p>
      <input type="hidden" name="keep_backups" value="true" />
      <Unavailable reason={reason} />
      <button type="submit" class="secondary" id="release-app" disabled={reason !== undefined}>
        Release
      </button>
    </form>
    <h3>Delete the container</h3>
    <SwapForm id="destroy-form" hx-post={`/apps/${app.id}/delete`} csrf={csrf} errors={errors}>
      <input type="hidden" name="keep_container" value="false" />
      <Unavailable reason={reason} />
      <label>
        <input type="checkbox" name="keep_backups" value="true" checked />
        Keep its backups
      </label>
      <InputField
        label={`Type ${app.hostname} to destroy CT ${app.vmid ?? ""} and everything in it`}
        name="confirm_hostname"
        errors={errors}
        autocomplete="off"
        spellcheck={false}
        disabled={reason !== undefined}
      />
      <button type="submit" class="contrast" id="delete-app" disabled={reason !== undefined}>
        Destroy the container
      </button>
    </SwapForm>
  </div>
);
