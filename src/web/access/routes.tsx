/**
 * /access/gate (signed in): the sign-in gate's stop on Proximity (features/access/gate.ts). The proxy sends
 * a visitor without a pass here; signed in (the guard sends them to /login and back first), a user who may
 * see the app is redirected to it with a one-time code; anyone else gets the app's 404.
 */
import { Hono } from "hono";
import type { WebEnv } from "../context.ts";
import { actor } from "../kit/index.ts";

export function accessGateRoutes() {
  const r = new Hono<WebEnv>();
  r.get("/gate", async (c) => {
    const host = (c.req.query("host") ?? "").slice(0, 253);
    const to = (c.req.query("to") ?? "/").slice(0, 2048);
    const location = await c.get("services").access.gateStart(actor(c), host, to);
    return c.redirect(location, 302);
  });
  return r;
}
