/** First run, sign in, sign out: the only web routes open to everyone (besides the assets). */
import { Hono } from "hono";
import { AppError } from "../../core/errors.ts";
import { LoginBody, RegisterBody } from "../../features/auth/auth.schemas.ts";
import { clientIpOf, clientOf } from "../../http/context.ts";
import type { WebEnv } from "../context.ts";
import {
  confirmation,
  type FieldErrors,
  fieldErrorsOf,
  page,
  parsed,
  parsedWith,
  readForm,
  redirect,
  submitForm,
  type WebContext,
} from "../kit/index.ts";
import { clearSessionCookie, setSessionCookie } from "../session.ts";
import { safeNext } from "./next.ts";
import { LoginPage, SetupPage } from "./pages.tsx";
import { needsSetupCode, setupCode, setupCodeMatches } from "./setup-code.ts";

/** Refusals the sign-in form explains in place; anything else is an error page. */
const SIGN_IN_REFUSALS = new Set(["UNAUTHENTICATED", "RATE_LIMITED", "VALIDATION_FAILED"]);

async function userCount(c: WebContext): Promise<number> {
  return (await c.get("services").users.list(1, 1)).total;
}

export function authRoutes() {
  const r = new Hono<WebEnv>();

  r.get("/", async (c) => {
    if (c.get("viewer")) return c.redirect("/apps", 303);
    return c.redirect((await userCount(c)) === 0 ? "/setup" : "/login", 303);
  });

  r.get("/setup", async (c) => {
    if ((await userCount(c)) > 0) return c.redirect("/login", 303);
    const askCode = needsSetupCode(clientIpOf(c));
    if (askCode) setupCode();
    return c.html(<SetupPage page={page(c)} errors={{}} askCode={askCode} />);
  });

  r.post("/setup", async (c) => {
    if ((await userCount(c)) > 0) return c.redirect("/login", 303);
    const f = await readForm(c);
    const services = c.get("services");
    const askCode = needsSetupCode(clientIpOf(c));
    const again = (errors: FieldErrors) => (
      <SetupPage page={page(c)} errors={errors} username={f.username} askCode={askCode} />
    );
    return submitForm(
      c,
      async () => {
        const codeProblem =
          askCode && !setupCodeMatches(f.setup_code)
            ? [{ field: "setup_code", message: "is not the code in Proximity's log" }]
            : [];
        const input = parsedWith(
          RegisterBody,
          { username: (f.username ?? "").trim(), password: f.password ?? "" },
          "The administrator cannot be created",
          [...codeProblem, ...confirmation(f, "password")],
        );
        await services.users.register(input, clientOf(c));
        const session = await services.auth.login(input.username, input.password, clientOf(c));
        setSessionCookie(c, session.refresh_token);
        // The administrator's next step: a Proxmox host, unless the demo cluster is already there.
        return c.redirect(services.demoMode ? "/catalog" : "/hosts", 303);
      },
      again,
    );
  });

  r.get("/login", async (c) => {
    if ((await userCount(c)) === 0) return c.redirect("/setup", 303);
    if (c.get("viewer")) return c.redirect(safeNext(c.req.query("next")), 303);
    const next = c.req.query("next");
    return c.html(<LoginPage page={page(c)} errors={{}} next={next ? safeNext(next) : undefined} />);
  });

  r.post("/login", async (c) => {
    const f = await readForm(c);
    const next = safeNext(f.next);
    try {
      // The API's limits: a 900 KB username is refused before it reaches the limiter or the audit log.
      const input = parsed(
        LoginBody,
        { username: f.username ?? "", password: f.password ?? "" },
        "Sign-in refused",
      );
      const session = await c.get("services").auth.login(input.username, input.password, clientOf(c));
      setSessionCookie(c, session.refresh_token);
      return c.redirect(next, 303);
    } catch (err) {
      if (!(err instanceof AppError) || !SIGN_IN_REFUSALS.has(err.code)) throw err;
      for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
      const errors = fieldErrorsOf(err) ?? { form: err.message };
      const username = (f.username ?? "").slice(0, 64);
      return c.html(
        <LoginPage page={page(c)} errors={errors} username={username} next={f.next ? next : undefined} />,
        err.status as 401,
      );
    }
  });

  r.post("/logout", async (c) => {
    const token = c.get("sessionToken");
    const v = c.get("viewer");
    if (token && v) await c.get("services").auth.logout(token, { user: v, ip: clientIpOf(c) });
    clearSessionCookie(c);
    return redirect(c, "/login");
  });

  return r;
}
