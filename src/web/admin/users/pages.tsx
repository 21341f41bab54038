/** The Users page (administrators): every account with its actions, and the form to add one. */
import type { FC } from "hono/jsx";
import type { AuthUser } from "../../../core/identity.ts";
import type { User } from "../../../db/schema.ts";
import { NewPasswordFields } from "../../auth/pages.tsx";
import {
  Csrf,
  type FieldErrors,
  FormMessage,
  InputField,
  Layout,
  type PageContext,
  Table,
  when,
} from "../../kit/index.ts";

export const AddUserForm: FC<{ csrf: string; errors: FieldErrors; values?: Record<string, string> }> = ({
  csrf,
  errors,
  values = {},
}) => (
  <form id="add-user" hx-post="/users" hx-target="this" hx-swap="outerHTML" novalidate>
    <Csrf token={csrf} />
    <FormMessage errors={errors} />
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
      <label>
        Role
        <select name="role">
          <option value="user" selected={values.role !== "admin"}>
            user
          </option>
          <option value="admin" selected={values.role === "admin"}>
            admin
          </option>
        </select>
      </label>
    </div>
    <div class="grid">
      <NewPasswordFields errors={errors} />
    </div>
    <button type="submit">Add user</button>
  </form>
);

const UserActions: FC<{ u: User }> = ({ u }) => (
  <>
    <button
      type="button"
      class="secondary small"
      hx-post={`/users/${u.id}/disabled`}
      hx-vals={JSON.stringify({ disabled: String(!u.disabled) })}
      hx-swap="none"
    >
      {u.disabled ? "Enable" : "Disable"}
    </button>
    <button
      type="button"
      class="secondary small"
      hx-post={`/users/${u.id}/role`}
      hx-vals={JSON.stringify({ role: u.role === "admin" ? "user" : "admin" })}
      hx-swap="none"
    >
      {u.role === "admin" ? "Make user" : "Make admin"}
    </button>
    <button
      type="button"
      class="secondary small"
      hx-post={`/users/${u.id}/delete`}
      hx-swap="none"
      hx-confirm={`Delete ${u.username}? Their apps stay, owned by nobody who can sign in.`}
    >
      Delete
    </button>
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
