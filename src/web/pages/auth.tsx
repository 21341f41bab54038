/** Sign-in and first run ("create the administrator"). */
import type { FC } from "hono/jsx";
import { Csrf, FieldError, Layout, type PageContext } from "../ui.tsx";

export const SetupPage: FC<{ page: PageContext; errors: Record<string, string>; username?: string }> = ({
  page,
  errors,
  username,
}) => (
  <Layout title="Create the administrator" page={page}>
    <article>
      <header>
        <h1>Welcome to Proximity</h1>
        <p>
          No account exists yet. Create the administrator: this account adds Proxmox hosts, manages users and
          sees every app.
        </p>
      </header>
      <form method="post" action="/setup">
        <Csrf token={page.csrf} />
        {errors.form ? (
          <p class="reason" role="alert">
            {errors.form}
          </p>
        ) : null}
        <label>
          Username
          <input
            name="username"
            autocomplete="username"
            required
            value={username ?? ""}
            aria-invalid={errors.username ? "true" : undefined}
            aria-describedby={errors.username ? "username-error" : undefined}
          />
          <FieldError id="username-error" errors={errors} name="username" />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autocomplete="new-password"
            required
            minlength={10}
            aria-invalid={errors.password ? "true" : undefined}
            aria-describedby={errors.password ? "password-error" : "password-help"}
          />
          {errors.password ? (
            <FieldError id="password-error" errors={errors} name="password" />
          ) : (
            <small id="password-help">At least 10 characters.</small>
          )}
        </label>
        <button type="submit">Create the administrator</button>
      </form>
    </article>
  </Layout>
);

export const LoginPage: FC<{ page: PageContext; error?: string; username?: string; next?: string }> = ({
  page,
  error,
  username,
  next,
}) => (
  <Layout title="Sign in" page={page}>
    <article>
      <header>
        <h1>Sign in</h1>
      </header>
      <form method="post" action="/login">
        <Csrf token={page.csrf} />
        {next ? <input type="hidden" name="next" value={next} /> : null}
        {error ? (
          <p class="reason" role="alert" id="login-error">
            {error}
          </p>
        ) : null}
        <label>
          Username
          <input name="username" autocomplete="username" required value={username ?? ""} />
        </label>
        <label>
          Password
          <input type="password" name="password" autocomplete="current-password" required />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </article>
  </Layout>
);
