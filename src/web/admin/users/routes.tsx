/** /users (administrators): the list, add, enable/disable, role, delete. */

import { z } from "@hono/zod-openapi";
import { Hono } from "hono";
import { PasswordSchema, UsernameSchema } from "../../../features/users/users.schemas.ts";
import type { WebEnv } from "../../context.ts";
import {
  actor,
  confirmation,
  page,
  parsedWith,
  readForm,
  redirect,
  submitForm,
  viewer,
} from "../../kit/index.ts";
import { AddUserForm, UsersPage } from "./pages.tsx";

const NewUser = z.object({
  username: UsernameSchema,
  password: PasswordSchema,
  role: z.enum(["admin", "user"]),
});

export function usersRoutes() {
  const r = new Hono<WebEnv>();

  r.get("/", async (c) => {
    const { items } = await c.get("services").users.list(1, 100);
    return c.html(<UsersPage page={page(c, "/users")} me={viewer(c)} users={items} />);
  });

  r.post("/", async (c) => {
    const f = await readForm(c);
    return submitForm(
      c,
      async () => {
        const input = parsedWith(
          NewUser,
          {
            username: (f.username ?? "").trim(),
            password: f.password ?? "",
            role: f.role === "admin" ? "admin" : "user",
          },
          "The user cannot be added",
          confirmation(f, "password"),
        );
        await c.get("services").users.create(input, actor(c));
        return redirect(c, "/users");
      },
      (errors) => <AddUserForm csrf={c.get("csrfToken")} errors={errors} values={f} />,
    );
  });

  r.post("/:id/disabled", async (c) => {
    const f = await readForm(c);
    await c.get("services").users.update(c.req.param("id"), { disabled: f.disabled === "true" }, actor(c));
    return redirect(c, "/users");
  });

  r.post("/:id/role", async (c) => {
    const f = await readForm(c);
    await c
      .get("services")
      .users.update(c.req.param("id"), { role: f.role === "admin" ? "admin" : "user" }, actor(c));
    return redirect(c, "/users");
  });

  r.post("/:id/delete", async (c) => {
    await c.get("services").users.remove(c.req.param("id"), actor(c));
    return redirect(c, "/users");
  });

  return r;
}
