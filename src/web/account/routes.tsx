/** /account (everyone signed in): the page, password change, sign out everywhere. */
import { Hono } from "hono";
import { ChangePasswordBody } from "../../features/auth/auth.schemas.ts";
import type { WebEnv } from "../context.ts";
import {
  actor,
  confirmation,
  page,
  parsedWith,
  readForm,
  savedForm,
  submitForm,
  viewer,
} from "../kit/index.ts";
import { clearSessionCookie } from "../session.ts";
import { AccountPage, PasswordForm } from "./pages.tsx";

export function accountRoutes() {
  const r = new Hono<WebEnv>();

  r.get("/", (c) => c.html(<AccountPage page={page(c, "/account")} viewer={viewer(c)} />));

  r.post("/password", async (c) => {
    const f = await readForm(c);
    const again = (errors: Record<string, string>) => (
      <PasswordForm viewer={viewer(c)} csrf={c.get("csrfToken")} errors={errors} />
    );
    return submitForm(
      c,
      async () => {
        // The API's body: the same limits and password rule, plus the confirmation only a form has.
        const input = parsedWith(
          ChangePasswordBody,
          { current_password: f.current_password ?? "", new_password: f.new_password ?? "" },
          "The password was not changed",
          confirmation(f, "new_password"),
        );
        await c
          .get("services")
          .auth.changePassword(actor(c), input.current_password, input.new_password, c.get("sessionToken"));
        return savedForm(c, again({}), "Password changed; your other sessions have ended.");
      },
      again,
    );
  });

  r.post("/sign-out-everywhere", async (c) => {
    await c.get("services").auth.logoutEverywhere(actor(c));
    clearSessionCookie(c);
    return c.redirect("/login", 303);
  });

  return r;
}
