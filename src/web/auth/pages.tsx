/** Sign-in and first run ("create the administrator"). */
import type { FC } from "hono/jsx";
import {
  Csrf,
  type FieldErrors,
  FieldMessage,
  FormMessage,
  fieldAria,
  Layout,
  type PageContext,
} from "../kit/index.ts";

/** A new password and its confirmation (first run, new users, password change). */
export const NewPasswordFields: FC<{ errors: FieldErrors; name?: string; label?: string }> = ({
  errors,
  name = "password",
  label = "Password",
}) => (
  <>
    <label>
      {label}
      <input
        type="password"
        name={name}
        autocomplete="new-password"
        required
        minlength={10}
        {...fieldAria(errors, name, `${name}-help`)}
      />
      <FieldMessage
        errors={errors}
        name={name}
        helpId={`${name}-help`}
        help="At least 10 characters; a few words you remember are best."
      />
    </label>
    <label>
      Repeat the password
      <input
        type="password"
        name={`${name}_confirm`}
        autocomplete="new-password"
        required
        {...fieldAria(errors, `${name}_confirm`)}
      />
      <FieldMessage errors={errors} name={`${name}_confirm`} />
    </label>
  </>
);

export const SetupPage: FC<{
  page: PageContext;
  errors: FieldErrors;
  username?: string;
  /** This visitor must type the setup code from the log. */
  askCode: boolean;
}> = ({ page, errors, username, askCode }) => (
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
        <FormMessage errors={errors} />
        {askCode ? (
          <label>
            Setup code
            <input
              name="setup_code"
              autocomplete="one-time-code"
              required
              spellcheck={false}
              {...fieldAria(errors, "setup_code", "setup_code-help")}
            />
            <FieldMessage
              errors={errors}
              name="setup_code"
              helpId="setup_code-help"
              help="Proximity wrote it to its log when this page was first opened (look for “setup code”). It proves you run this server."
            />
          </label>
        ) : null}
        <label>
          Username
          <input
            name="username"
            autocomplete="username"
            required
            value={username ?? ""}
            {...fieldAria(errors, "username")}
          />
          <FieldMessage errors={errors} name="username" />
        </label>
        <NewPasswordFields errors={errors} />
        <button type="submit">Create the administrator</button>
      </form>
    </article>
  </Layout>
);

export const LoginPage: FC<{ page: PageContext; errors: FieldErrors; username?: string; next?: string }> = ({
  page,
  errors,
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
        {errors.form ? (
          <p class="reason" role="alert" id="login-error">
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
            {...fieldAria(errors, "username")}
          />
          <FieldMessage errors={errors} name="username" />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autocomplete="current-password"
            required
            {...fieldAria(errors, "password")}
          />
          <FieldMessage errors={errors} name="password" />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </article>
  </Layout>
);
