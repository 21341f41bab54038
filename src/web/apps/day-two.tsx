/**
 * Day two on the app pages: the update badge of a tile, the "Update available" banner with the entry's
 * notes, the health badge (degraded: the app stopped answering its health check), and the update policy
 * form (off / notify / automatic in a maintenance window).
 */
import { raw } from "hono/html";
import type { FC } from "hono/jsx";
import type { Application } from "../../db/schema.ts";
import { escapeHtml, type FormProps, InputField, SelectField, SwapForm } from "../kit/index.ts";

/** Whether the catalog has another version for this app, and whether it may be taken in place. */
export interface UpdateOffer {
  /** The catalog's version, when it differs from the installed one. */
  to?: string;
  /** The installed version. */
  from?: string | undefined;
  /** The entry's upgrade notes. */
  notes?: string | undefined;
  /** Why the update would be refused (a major step the app does not migrate, …). */
  refusal?: string;
}

/**
 * On a tile: there is a newer version in the catalog. As markup ("" when there is none), for the tiles built
 * as one string (tiles.ts); UpdateBadge is the same.
 */
export function updateBadgeHtml(offer: UpdateOffer): string {
  if (!offer.to) return "";
  const to = escapeHtml(offer.to);
  return `<span class="badge update" data-update="${to}" title="Version ${to} is in the catalog">Update ${to}</span>`;
}

export const UpdateBadge: FC<{ offer: UpdateOffer }> = ({ offer }) => raw(updateBadgeHtml(offer));

/**
 * The app stopped answering its health check (it keeps its status: nothing is blocked). As markup ("" while
 * it answers); HealthBadge is the same.
 */
export function healthBadgeHtml(app: Pick<Application, "health" | "healthReason" | "status">): string {
  if (app.health !== "degraded" || app.status !== "running") return "";
  const title = app.healthReason === null ? "" : ` title="${escapeHtml(app.healthReason)}"`;
  return `<span class="badge error health"${title} data-health="degraded">Not answering</span>`;
}

export const HealthBadge: FC<{ app: Application }> = ({ app }) => raw(healthBadgeHtml(app));

/** On the app page: the update, what moves, and the entry's upgrade notes. */
export const UpdateBanner: FC<{ app: Application; offer: UpdateOffer }> = ({ app, offer }) => {
  if (!offer.to) return null;
  return (
    <div class="notice update-banner" id="update-banner">
      <p>
        <strong>
          Update available: {offer.from ?? app.catalogVersion ?? "?"} → {offer.to}
        </strong>{" "}
        {offer.refusal ? (
          <span class="muted">(not in place: see Update, under Manage)</span>
        ) : (
          <a href="#manage">Update, under Manage</a>
        )}
      </p>
      {offer.notes ? (
        <details>
          <summary>Upgrade notes</summary>
          <p>{offer.notes}</p>
        </details>
      ) : null}
    </div>
  );
};

const MODES = [
  ["off", "Off: no update notices"],
  ["notify", "Notify: tell the channels once per new version"],
  ["auto", "Automatic: update in the maintenance window (only safe updates)"],
] as const;

export const UpdatePolicyForm: FC<FormProps & { app: Application }> = ({
  app,
  csrf,
  errors,
  values = {},
}) => {
  const mode = values.mode ?? app.updateMode;
  return (
    <SwapForm id="update-policy" hx-put={`/apps/${app.id}/update-policy`} csrf={csrf} errors={errors}>
      <div class="grid">
        <SelectField label="Updates" name="mode" errors={errors} options={MODES} value={mode} />
        <InputField
          label="Maintenance window"
          name="window"
          errors={errors}
          autocomplete="off"
          placeholder="0 3 * * *"
          value={values.window ?? app.updateWindow ?? ""}
          help="A cron expression in UTC; an update may start within the hour after each time (0 3 * * *: 03:00–04:00)"
        />
      </div>
      <button type="submit" class="secondary">
        Save update policy
      </button>
    </SwapForm>
  );
};
