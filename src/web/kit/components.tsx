/** The small components every page uses: CSRF field, status badge, icon, toasts, empty state, field error. */

import { raw } from "hono/html";
import type { Child, FC, JSX, PropsWithChildren } from "hono/jsx";
import { escapeToBuffer } from "hono/utils/html";
import { isBusy } from "../../features/apps/index.ts";
import { iconPath } from "../../features/catalog/catalog.service.ts";

export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

export function statusLabel(status: string): string {
  return status.replace(/_/g, " ");
}

/** A state in a sentence: "it is in error now", "it is backing up now". */
export function inState(status: string): string {
  return status === "error" ? "in error" : statusLabel(status);
}

/** Text escaped for HTML exactly as JSX escapes it (the same function). */
export function escapeHtml(text: string): string {
  const buffer: [string] = [""];
  escapeToBuffer(text, buffer);
  return buffer[0];
}

/** An app's status as a badge, as markup (lists built as one string: the dashboard's tiles); StatusBadge is the same. */
export function statusBadgeHtml(status: string, id?: string): string {
  const s = escapeHtml(status);
  return `<span${id === undefined ? "" : ` id="${escapeHtml(id)}"`} class="badge ${isBusy(status) ? "busy" : s}" data-status="${s}">${escapeHtml(statusLabel(status))}</span>`;
}

export const StatusBadge: FC<{ status: string; id?: string }> = ({ status, id }) =>
  raw(statusBadgeHtml(status, id));

/**
 * An app's icon as markup, for lists built as one string (the catalog's cards); AppIcon is the same.
 * Decorative (the name is always next to it).
 */
export function appIconHtml(id: string, { large = false, lazy = false } = {}): string {
  const size = large ? 64 : 40;
  return `<img class="${large ? "icon large" : "icon"}" src="${escapeHtml(iconPath(id))}" alt="" width="${size}" height="${size}"${lazy ? ' loading="lazy"' : ""}/>`;
}

export const AppIcon: FC<{ id: string; large?: boolean; lazy?: boolean }> = ({ id, large, lazy }) =>
  raw(appIconHtml(id, { large: Boolean(large), lazy: Boolean(lazy) }));

export const Toast: FC<{ message: string; requestId?: string | undefined; ok?: boolean }> = ({
  message,
  requestId,
  ok,
}) => (
  <div class={ok ? "toast" : "toast error"} role={ok ? "status" : "alert"}>
    <span>
      {message}
      {requestId ? <small>Request id: {requestId}</small> : null}
    </span>
    <button type="button" class="toast-close" aria-label="Dismiss">
      ×
    </button>
  </div>
);

/** A toast delivered by an htmx response, wherever the request was aimed. */
export const ToastPartial: FC<{ message: string; requestId?: string | undefined; ok?: boolean }> = (
  props,
) => (
  <hx-partial hx-target="#toasts" hx-swap="beforeend">
    <Toast {...props} />
  </hx-partial>
);

/**
 * A button that posts to `post` and swaps nothing: the answer is a toast, or a redirect, and the page shows
 * the change by itself. Small and secondary unless `class` says otherwise (a table row's actions are).
 */
export const PostButton: FC<
  PropsWithChildren<{ post: string; confirm?: string } & JSX.IntrinsicElements["button"]>
> = ({ post, confirm, children, ...button }) => (
  <button
    type="button"
    class="secondary small"
    hx-post={post}
    hx-swap="none"
    hx-confirm={confirm}
    {...button}
  >
    {children}
  </button>
);

/** A column heading: its label, or the label with a class (`hide-sm`: hidden on a phone). */
type Column = string | { label: Child; class?: string };

/** A table of records that scrolls sideways on a narrow screen: its column headings, then `children` (rows). */
export const Table: FC<PropsWithChildren<{ columns: Column[]; id?: string }>> = ({
  columns,
  id,
  children,
}) => (
  <div class="table-wrap">
    <table id={id}>
      <thead>
        <tr>
          {columns.map((c) =>
            typeof c === "string" ? (
              <th scope="col">{c}</th>
            ) : (
              <th scope="col" class={c.class}>
                {c.label}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
);

/** Where a page sits: the page above it, linked, then this one's name. */
export const Breadcrumb: FC<{ up: { href: string; label: string }; here: Child }> = ({ up, here }) => (
  <nav aria-label="breadcrumb">
    <ul>
      <li>
        <a href={up.href}>{up.label}</a>
      </li>
      <li>{here}</li>
    </ul>
  </nav>
);

export const Empty: FC<PropsWithChildren<{ title: string }>> = ({ title, children }) => (
  <article class="empty">
    <h2>{title}</h2>
    {children}
  </article>
);

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function when(d: Date | string | null | undefined): string {
  if (!d) return "–";
  const date = typeof d === "string" ? new Date(d) : d;
  return `${date.toISOString().replace("T", " ").slice(0, 16)} UTC`;
}

/** Renders JSX to a string (for SSE messages). */
export async function render(node: Child): Promise<string> {
  return String(await (node as { toString(): string | Promise<string> }).toString());
}

/**
 * A yes/no setting drawn as a toggle (Pico styles `role="switch"`). A hidden "false" goes first, so an
 * unchecked switch still sends its field (the checkbox's "true" replaces it when checked).
 */
export const Switch: FC<
  PropsWithChildren<{ name: string; checked: boolean; describedBy?: string | undefined; invalid?: boolean }>
> = ({ name, checked, describedBy, invalid, children }) => (
  <label>
    <input type="hidden" name={name} value="false" />
    <input
      type="checkbox"
      // biome-ignore lint/a11y/useAriaPropsForRole: a native checkbox, whose own checked state is the switch's.
      role="switch"
      name={name}
      value="true"
      checked={checked}
      aria-describedby={describedBy}
      aria-invalid={invalid ? "true" : undefined}
    />
    {children}
  </label>
);
