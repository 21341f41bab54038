/** Your account: change the password, notifications for your apps, sign out everywhere. */
import type { FC } from "hono/jsx";
import type { AuthUser } from "../../core/identity.ts";
import { NewPasswordFields } from "../auth/pages.tsx";
import { Csrf, type FormProps, InputField, Layout, type PageContext, SwapForm } from "../kit/index.ts";
import { SubscriptionsSection, type SubscriptionView } from "./subscriptions.tsx";

export const PasswordForm: FC<FormProps & { viewer: AuthUser }> = ({ viewer, csrf, errors }) => (
  <SwapForm id="password-form" hx-post="/account/password" csrf={csrf} errors={errors}>
    <input type="text" name="username" value={viewer.username} autocomplete="username" hidden />
    <InputField
      label="Current password"
      name="current_password"
      errors={errors}
      type="password"
      required
      autocomplete="current-password"
    />
    <NewPasswordFields errors={errors} name="new_password" label="New password" />
    <button type="submit">Change password</button>
  </SwapForm>
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
