/** An app's backups section: back up now, the list with restore and delete, the schedule and retention. */
import type { FC } from "hono/jsx";
import type { Application, Backup, BackupSchedule } from "../../db/schema.ts";
import { canRun } from "../../features/apps/index.ts";
import {
  bytes,
  type FieldErrors,
  type FormProps,
  InputField,
  inState,
  PostButton,
  SwapForm,
  Switch,
  statusLabel,
  Table,
  when,
} from "../kit/index.ts";

/** The schedule and retention form; its errors (cron, time zone, counts) beside their fields. */
export const ScheduleForm: FC<FormProps & { app: Application; schedule: BackupSchedule | undefined }> = ({
  app,
  schedule,
  csrf,
  errors,
  values = {},
}) => {
  const v = (name: string, stored: string) => values[name] ?? stored;
  const keep = (name: string, label: string, stored: number | undefined, dflt: number) => (
    <InputField
      label={label}
      name={name}
      errors={errors}
      type="number"
      min={0}
      max={1000}
      value={v(name, String(stored ?? dflt))}
    />
  );
  return (
    <SwapForm id="schedule-form" hx-put={`/apps/${app.id}/backup-schedule`} csrf={csrf} errors={errors}>
      <InputField
        label="When (cron: minute hour day-of-month month day-of-week)"
        name="cron"
        errors={errors}
        value={v("cron", schedule?.cron ?? "0 3 * * *")}
        spellcheck={false}
        help="0 3 * * * is every day at 03:00; at most every 5 minutes."
      />
      <InputField
        label="Time zone"
        name="timezone"
        errors={errors}
        value={v("timezone", schedule?.timezone ?? "UTC")}
        spellcheck={false}
        help="An IANA name such as Europe/Berlin, or UTC."
      />
      <fieldset class="grid">
        <legend>Keep</legend>
        {keep("keep_last", "The last", schedule?.keepLast, 3)}
        {keep("keep_daily", "Daily", schedule?.keepDaily, 7)}
        {keep("keep_weekly", "Weekly", schedule?.keepWeekly, 4)}
        {keep("keep_monthly", "Monthly", schedule?.keepMonthly, 0)}
      </fieldset>
      <Switch
        name="enabled"
        checked={values.cron !== undefined ? values.enabled === "true" : (schedule?.enabled ?? true)}
      >
        Enabled
      </Switch>
      <button type="submit" class="secondary">
        Save schedule
      </button>
    </SwapForm>
  );
};

export const BackupsSection: FC<{
  app: Application;
  backups: Backup[];
  schedule: BackupSchedule | undefined;
  csrf: string;
  errors: FieldErrors;
}> = ({ app, backups, schedule, csrf, errors }) => {
  const reason = backupReason(app);
  return (
    <section id="backups">
      <h2>Backups</h2>
      <div class="actions-row" id="backup-actions">
        <BackupNow app={app} reason={reason} />
      </div>
      <div id="backup-list">
        <BackupList app={app} backups={backups} />
      </div>
      <details>
        <summary>Schedule and retention</summary>
        <ScheduleForm app={app} schedule={schedule} csrf={csrf} errors={errors} />
      </details>
    </section>
  );
};

/** Why "Back up now" cannot run in the app's state, or undefined. */
export function backupReason(app: Application): string | undefined {
  return canRun("backup", app.status)
    ? undefined
    : `A backup can be taken when the app is running or stopped; it is ${inState(app.status)} now.`;
}

/** "Back up now", or why not now (it is re-rendered with the list as the app's state changes). */
export const BackupNow: FC<{ app: Application; reason: string | undefined }> = ({ app, reason }) => (
  <>
    <button
      type="button"
      hx-post={`/apps/${app.id}/backups`}
      hx-swap="none"
      id="create-backup"
      disabled={reason !== undefined}
    >
      Back up now
    </button>
    {reason ? <span class="muted">{reason}</span> : null}
  </>
);

export const BackupList: FC<{ app: Application; backups: Backup[] }> = ({ app, backups }) =>
  backups.length === 0 ? (
    <p class="muted" id="no-backups">
      No backups yet. “Back up now” takes one; a schedule takes them for you.
    </p>
  ) : (
    <Table columns={["Taken", "Status", "Size", "Trigger", { label: <span class="muted">Actions</span> }]}>
      {backups.map((b) => (
        <tr data-backup={b.id}>
          <td>{when(b.backupTime ?? b.createdAt)}</td>
          <td>
            <span
              class={`badge ${b.status === "completed" ? "running" : b.status === "creating" ? "busy" : "error"}`}
            >
              {b.status}
            </span>
          </td>
          <td>{bytes(b.size)}</td>
          <td>{b.trigger}</td>
          <td class="actions">
            {b.status === "completed" ? (
              <>
                <PostButton
                  post={`/apps/${app.id}/backups/${b.id}/restore`}
                  confirm="Restore this backup? The app's current data is replaced."
                  disabled={!canRun("restore", app.status)}
                  title={
                    canRun("restore", app.status)
                      ? undefined
                      : `Not while the app is ${statusLabel(app.status)}`
                  }
                >
                  Restore
                </PostButton>
                <PostButton post={`/apps/${app.id}/backups/${b.id}/delete`} confirm="Delete this backup?">
                  Delete
                </PostButton>
              </>
            ) : null}
          </td>
        </tr>
      ))}
    </Table>
  );
