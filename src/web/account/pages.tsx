/** Your account: change the password, notifications for your apps, sign out everywhere. */
import type { FC } from "hono/jsx";
import type { AuthUser } from "../../core/identity.ts";
import { NewPasswordFields } from "../auth/pages.tsx";
import {
  Csrf,
  type FieldErrors,
  FieldMessage,
  FormMessage,
  fieldAria,
  Layout,
  type PageContext,
} from "../kit/index.ts";
import { SubscriptionsSection, type SubscriptionView } from "./subscriptions.tsx";

export const PasswordForm: FC<{ viewer: AuthUser; csrf: string; errors: FieldErrors }> = ({
  viewer,
  csrf,
  errors,
}) => (
  <form id="password-form" hx-post="/account/password" hx-target="this" hx-swap="outerHTML" novalidate>
    <Csrf token={csrf} />
    <FormMessage errors={errors} />
    <input type="text" name="username" value={viewer.username} autocomplete="username" hidden />
    <label>
      Current password
      <input
        type="password"
        name="current_password"
        required
        autocomplete="current-password"
        {...fieldAria(errors, "current_password")}
      />
      <FieldMessage errors={errors} name="current_password" />
    </label>
    <NewPasswordFields errors={errors} name="new_password" label="New password" />
    <button type="submit">Change password</button>
  </form>
);

export const AccountPage: FC<{ page: PageContext; viewer: AuthUser; subs: SubscriptionView[] }> = ({
  page,
  viewer,
  subs,
}) => (
  <Layout title="Account" page={page}>
    <h1>Your account</h1>
    <p>
      Signed in as <strong>{viewer.username}</strong> ({viewer.role}).
    </p>
    <article>
      <h2>Change password</h2>
      <p class="muted">Every other session ends; this one stays signed in.</p>
      <PasswordForm viewer={viewer} csrf={page.csrf} errors={{}} />
    </article>
    <SubscriptionsSection subs={subs} csrf={page.csrf} />
    <article>
      <h2>Sign out everywhere</h2>
      <p class="muted">
        Ends every session of your account, in every browser and API client, including this one.
      </p>
      <form method="post" action="/account/sign-out-everywhere" data-confirm="Sign out of every session?">
        <Csrf token={page.csrf} />
        <button type="submit" class="contrast">
          Sign out everywhere
        </button>
      </form>
    </article>
  </Layout>
);
