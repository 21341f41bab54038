/**
 * What every web handler needs from its request: the page context, the signed-in viewer (set by the
 * guards, kit/guards.ts), the actor services take, the submitted form, and the answers an htmx or plain
 * request expects (a redirect, a toast).
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import { UnauthenticatedError } from "../../core/errors.ts";
import type { AuthUser, UserActor } from "../../core/identity.ts";
import { clientIpOf } from "../../http/context.ts";
import type { WebEnv } from "../context.ts";
import { ToastPartial } from "./components.tsx";
import type { PageContext } from "./layout.tsx";

export type WebContext = Context<WebEnv>;

/** The page shell's context; `active` marks the nav entry. */
export function page(c: WebContext, active?: string): PageContext {
  return { viewer: c.get("viewer"), csrf: c.get("csrfToken"), theme: c.get("theme"), active };
}

/** The signed-in user. Behind `signedIn`/`adminOnly` (kit/guards.ts) it is always there. */
export function viewer(c: WebContext): AuthUser {
  const v = c.get("viewer");
  if (!v) throw new UnauthenticatedError("Sign in to continue");
  return v;
}

/** The viewer and their address, as services take them (audit rows, ownership checks). */
export function actor(c: WebContext): UserActor {
  return { user: viewer(c), ip: clientIpOf(c) };
}

export function isHtmx(c: WebContext): boolean {
  return c.req.header("hx-request") === "true";
}

/** After a form: htmx follows HX-Redirect; a plain form gets a 303. */
export function redirect(c: WebContext, to: string): Response {
  if (isHtmx(c)) {
    c.header("HX-Redirect", to);
    return c.body(null, 204);
  }
  return c.redirect(to, 303);
}

/** The submitted form's text fields (files are ignored: no form uploads any). */
export async function readForm(c: WebContext): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * A success toast for an htmx request, wherever the request was aimed, after `content` when there is some
 * (the fresh form, a refreshed list or section, in the request's own target).
 */
export function toast(
  c: WebContext,
  message: string,
  status: 200 | 202 = 200,
  content?: Child,
): Response | Promise<Response> {
  return c.html(
    <>
      {content}
      <ToastPartial message={message} ok />
    </>,
    status,
  );
}
