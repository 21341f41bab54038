/**
 * The Notifications page (administrators): the channels (webhook, ntfy, Gotify, email) with their events,
 * last success and last error, a Test and a Delete button each, and one form per kind to add one.
 */
import type { FC } from "hono/jsx";
import type { NotificationChannel, NotificationKind } from "../../../db/schema.ts";
import { NOTICE_EVENTS } from "../../../features/apps/index.ts";
import {
  Csrf,
  Empty,
  FieldMessage,
  type FormProps,
  InputField,
  Layout,
  type PageContext,
  PostButton,
  SelectField,
  SwapForm,
  Table,
  when,
} from "../../kit/index.ts";

const KIND_LABEL: Record<NotificationKind, string> = {
  webhook: "Webhook",
  ntfy: "ntfy",
  gotify: "Gotify",
  email: "Email",
};

/** What each kind needs, as form fields named like the API's (`config.url`, `secret`). */
interface Field {
  name: string;
  label: string;
  type?: string;
  placeholder?: string;
  help?: string;
  value?: string;
  options?: readonly string[];
}

const FIELDS: Record<NotificationKind, Field[]> = {
  webhook: [
    { name: "config.url", label: "URL", placeholder: "https://example.org/hooks/proximity" },
    {
      name: "secret",
      label: "Signing secret",
      type: "password",
      help: "At least 16 characters. Each body is signed: x-proximity-signature: sha256=HMAC-SHA256(secret, body)",
    },
  ],
  ntfy: [
    { name: "config.server", label: "Server", value: "https://ntfy.sh" },
    { name: "config.topic", label: "Topic", placeholder: "proximity-alerts" },
    { name: "secret", label: "Access token (optional)", type: "password" },
  ],
  gotify: [
    { name: "config.server", label: "Server", placeholder: "http://gotify.lan" },
    { name: "secret", label: "Application token", type: "password" },
  ],
  email: [
    { name: "config.host", label: "SMTP server", placeholder: "smtp.example.org" },
    { name: "config.port", label: "Port", type: "number", value: "587" },
    { name: "config.security", label: "Security", options: ["starttls", "tls", "none"] },
    { name: "config.username", label: "Username (optional)" },
    { name: "secret", label: "Password", type: "password" },
    { name: "config.from", label: "From", placeholder: "proximity@example.org" },
    {
      name: "config.to",
      label: "To",
      placeholder: "ops@example.org, me@example.org",
      help: "Up to 10, comma-separated",
    },
  ],
};

/** Events a new channel starts with: everything but the test event (always sendable with Test). */
const DEFAULT_EVENTS = NOTICE_EVENTS.filter((e) => e !== "test");

export const ChannelForm: FC<FormProps & { kind: NotificationKind }> = ({ kind, csrf, errors, values }) => {
  const chosen = (e: string) =>
    values ? values[`events.${e}`] === "on" : (DEFAULT_EVENTS as string[]).includes(e);
  return (
    <SwapForm id={`add-${kind}`} hx-post="/notifications" autocomplete="off" csrf={csrf} errors={errors}>
      <input type="hidden" name="kind" value={kind} />
      <InputField label="Name" name="name" errors={errors} required value={values?.name ?? ""} />
      {FIELDS[kind].map((f) =>
        f.options ? (
          <SelectField
            label={f.label}
            name={f.name}
            errors={errors}
            options={f.options.map((o) => [o, o] as const)}
            value={values?.[f.name] ?? f.options[0]}
          />
        ) : (
          <InputField
            label={f.label}
            name={f.name}
            errors={errors}
            type={f.type ?? "text"}
            placeholder={f.placeholder}
            value={f.type === "password" ? "" : (values?.[f.name] ?? f.value ?? "")}
            help={f.help}
            helpId={`${kind}-${f.name}-help`}
          />
        ),
      )}
      <fieldset>
        <legend>Events</legend>
        {NOTICE_EVENTS.map((e) => (
          <label>
            <input type="checkbox" name={`events.${e}`} checked={chosen(e)} /> {e}
          </label>
        ))}
        <FieldMessage errors={errors} name="events" />
      </fieldset>
      <button type="submit">Add {KIND_LABEL[kind]} channel</button>
    </SwapForm>
  );
};

function target(c: NotificationChannel): string {
  const config = c.config as Record<string, unknown>;
  if (c.kind === "email") {
    const to = Array.isArray(config.to) ? config.to.join(", ") : "";
    return `${String(config.host)} → ${to}`;
  }
  if (c.kind === "ntfy") return `${String(config.server)} / ${String(config.topic)}`;
  return String(config.url ?? config.server ?? "");
}

export const ChannelsTable: FC<{ channels: NotificationChannel[] }> = ({ channels }) => (
  <div id="channels-table">
    {channels.length === 0 ? (
      <Empty title="No channels yet">
        Add a webhook, ntfy, Gotify or email channel below: updates, outages and failed backups go there.
      </Empty>
    ) : (
      <Table
        columns={[
          "Channel",
          { label: "Events", class: "hide-sm" },
          "Delivery",
          { label: <span class="muted">Actions</span> },
        ]}
      >
        {channels.map((c) => (
          <tr id={`channel-${c.id}`}>
            <td>
              <strong>{c.name}</strong> <small class="muted">{KIND_LABEL[c.kind]}</small>
              {c.enabled ? null : <small class="muted"> · disabled</small>}
              <br />
              <small class="muted break">{target(c)}</small>
            </td>
            <td class="hide-sm">
              <small>{c.events.join(", ")}</small>
            </td>
            <td>
              {c.lastSuccessAt ? (
                <small>Last sent {when(c.lastSuccessAt)}</small>
              ) : (
                <small class="muted">Nothing sent yet</small>
              )}
              {c.lastError && c.lastErrorAt && (!c.lastSuccessAt || c.lastErrorAt > c.lastSuccessAt) ? (
                <>
                  <br />
                  <small class="reason" data-last-error>
                    Failed {when(c.lastErrorAt)}: {c.lastError}
                  </small>
                </>
              ) : null}
            </td>
            <td class="actions">
              <PostButton post={`/notifications/${c.id}/test`}>Test</PostButton>
              <PostButton post={`/notifications/${c.id}/${c.enabled ? "disable" : "enable"}`}>
                {c.enabled ? "Disable" : "Enable"}
              </PostButton>
              <PostButton
                post={`/notifications/${c.id}/delete`}
                confirm={`Delete the channel ${c.name}? Its subscriptions go with it.`}
              >
                Delete
              </PostButton>
            </td>
          </tr>
        ))}
      </Table>
    )}
  </div>
);

export const NotificationsPage: FC<{ page: PageContext; channels: NotificationChannel[] }> = ({
  page,
  channels,
}) => (
  <Layout title="Notifications" page={page}>
    <h1>Notifications</h1>
    <p class="muted">
      Where Proximity tells you about updates, apps that stop answering, failed backups and hosts in trouble.
      Each channel receives the events ticked for it, for every app; users can also subscribe to a channel for
      their own apps. Secrets are stored encrypted and never shown again.
    </p>
    <ChannelsTable channels={channels} />
    <h2>Add a channel</h2>
    {(Object.keys(KIND_LABEL) as NotificationKind[]).map((kind) => (
      <details>
        <summary>{KIND_LABEL[kind]}</summary>
        <ChannelForm kind={kind} csrf={page.csrf} errors={{}} />
      </details>
    ))}
    <Csrf token={page.csrf} />
  </Layout>
);
