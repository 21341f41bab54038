/** Sign-in and first run ("create the administrator"). */
import type { FC } from "hono/jsx";
import { Csrf, type FieldErrors, FormMessage, InputField, Layout, type PageContext } from "../kit/index.ts";

/** A new password and its confirmation (first run, new users, password change). */
export const NewPasswordFields: FC<{ errors: FieldErrors; name?: string; label?: string }> = ({
  errors,
  name = "password",
  label = "Password",
}) => (
  <>
    <InputField
      label={label}
      name={name}
      errors={errors}
      type="password"
      autocomplete="new-password"
      required
      minlength={10}
      help="At least 10 characters; a few words you remember are best."
    />
    <InputField
      label="Repeat the password"
      name={`${name}_confirm`}
      errors={errors}
      type="password"
      autocomplete="new-password"
      required
    />
  </>
);

/** The username of the first administrator and of a sign-in: the same field, filled again after an error. */
const UsernameField: FC<{ errors: FieldErrors; value: string | undefined }> = ({ errors, value }) => (
  <InputField
    label="Username"
    name="username"
    errors={errors}
    autocomplete="username"
    required
    value={value ?? ""}
  />
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
          <InputField
            label="Setup code"
            name="setup_code"
            errors={errors}
            autocomplete="one-time-code"
            required
            spellcheck={false}
            help="Proximity wrote it to its log when this page was first opened (look for “setup code”). It proves you run this server."
          />
        ) : null}
        <UsernameField errors={errors} value={username} />
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
        <UsernameField errors={errors} value={username} />
        <InputField
          label="Password"
          name="password"
          errors={errors}
          type="password"
          autocomplete="current-password"
          required
        />
        <button type="submit">Sign in</button>
      </form>
    </article>
  </Layout>
);
