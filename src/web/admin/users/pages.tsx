/** The Users page (administrators): every account with its actions, and the form to add one. */
import type { FC } from "hono/jsx";
import type { AuthUser } from "../../../core/identity.ts";
import type { User } from "../../../db/schema.ts";
import { NewPasswordFields } from "../../auth/pages.tsx";
import {
  type FormProps,
  InputField,
  Layout,
  type PageContext,
  PostButton,
  SelectField,
  SwapForm,
  Table,
  when,
} from "../../kit/index.ts";

const ROLES = (["user", "admin"] as const).map((r) => [r, r] as const);

export const AddUserForm: FC<FormProps> = ({ csrf, errors, values = {} }) => (
  <SwapForm id="add-user" hx-post="/users" csrf={csrf} errors={errors}>
    <div class="grid">
      <InputField
        label="Username"
        name="username"
        errors={errors}
        required
        autocomplete="off"
        value={values.username ?? ""}
        help="3–32 of a–z, 0–9, _ . -"
      />
      <SelectField
        label="Role"
        name="role"
        errors={errors}
        options={ROLES}
        value={values.role === "admin" ? "admin" : "user"}
      />
    </div>
    <div class="grid">
      <NewPasswordFields errors={errors} />
    </div>
    <button type="submit">Add user</button>
  </SwapForm>
);

const UserActions: FC<{ u: User }> = ({ u }) => (
  <>
    <PostButton post={`/users/${u.id}/disabled`} hx-vals={JSON.stringify({ disabled: String(!u.disabled) })}>
      {u.disabled ? "Enable" : "Disable"}
    </PostButton>
    <PostButton
      post={`/users/${u.id}/role`}
      hx-vals={JSON.stringify({ role: u.role === "admin" ? "user" : "admin" })}
    >
      {u.role === "admin" ? "Make user" : "Make admin"}
    </PostButton>
    <PostButton
      post={`/users/${u.id}/delete`}
      confirm={`Delete ${u.username}? Their apps stay, owned by nobody who can sign in.`}
    >
      Delete
    </PostButton>
  </>
);

export const UsersPage: FC<{ page: PageContext; me: AuthUser; users: User[] }> = ({ page, me, users }) => (
  <Layout title="Users" page={page}>
    <h1>Users</h1>
    <Table
      columns={[
        "User",
        "Role",
        "State",
        { label: "Last sign-in", class: "hide-sm" },
        { label: <span class="muted">Actions</span> },
      ]}
    >
      {users.map((u) => (
        <tr id={`user-${u.username}`}>
          <td>{u.username}</td>
          <td>{u.role}</td>
          <td>
            {u.disabled ? (
              <span class="badge error">disabled</span>
            ) : (
              <span class="badge running">active</span>
            )}
          </td>
          <td class="hide-sm">{when(u.lastLoginAt)}</td>
          <td class="actions">{u.id === me.id ? <span class="muted">you</span> : <UserActions u={u} />}</td>
        </tr>
      ))}
    </Table>
    <h2>Add a user</h2>
    <AddUserForm csrf={page.csrf} errors={{}} />
  </Layout>
);
