/** /api/v1/users: administrator user management. */
import { z } from "@hono/zod-openapi";
import { actorOf } from "../../http/context.ts";
import { adminOnly } from "../../http/guards.ts";
import {
  createRouter,
  jsonBody,
  jsonResponse,
  listSchema,
  PaginationQuery,
  routesFor,
  UuidParam,
} from "../../http/openapi.ts";
import { EmailSchema, PasswordSchema, toPublicUser, UsernameSchema, UserSchema } from "./users.schemas.ts";
import type { UsersService } from "./users.service.ts";

/** The services these routes reach through `c.get("services")`. */
export interface UsersRouteServices {
  users: UsersService;
}

const CreateUserBody = z
  .object({
    username: UsernameSchema,
    password: PasswordSchema,
    email: EmailSchema,
    role: z.enum(["admin", "user"]).default("user"),
  })
  .strict()
  .openapi("CreateUserRequest");

const UpdateUserBody = z
  .object({
    role: z.enum(["admin", "user"]).optional(),
    disabled: z.boolean().optional(),
    email: EmailSchema,
    password: PasswordSchema.optional().openapi({
      description: "Reset the password; ends the user's sessions",
    }),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "give at least one field to change")
  .openapi("UpdateUserRequest");

const UserParams = z.object({ user_id: UuidParam("user_id") });

const admin = routesFor(adminOnly, "users");

const list = admin.get("/users", {
  operationId: "listUsers",
  summary: "List users",
  request: { query: PaginationQuery },
  responses: { 200: jsonResponse(listSchema(UserSchema, "UserList"), "Users") },
});

const create = admin.post("/users", {
  operationId: "createUser",
  summary: "Create a user",
  request: { body: jsonBody(CreateUserBody) },
  responses: { 201: jsonResponse(z.object({ user: UserSchema }), "Created") },
  errors: [409],
});

const get = admin.get("/users/{user_id}", {
  operationId: "getUser",
  summary: "Get a user",
  request: { params: UserParams },
  responses: { 200: jsonResponse(z.object({ user: UserSchema }), "The user") },
});

const update = admin.patch("/users/{user_id}", {
  operationId: "updateUser",
  summary: "Change a user's role, state, email or password",
  request: { params: UserParams, body: jsonBody(UpdateUserBody) },
  responses: { 200: jsonResponse(z.object({ user: UserSchema }), "Updated") },
  errors: [409],
});

const remove = admin.delete("/users/{user_id}", {
  operationId: "deleteUser",
  summary: "Delete a user",
  request: { params: UserParams },
  responses: { 204: { description: "Deleted" } },
  errors: [409],
});

export function usersRoutes() {
  return createRouter<UsersRouteServices>()
    .openapi(list, async (c) => {
      const { page, per_page } = c.req.valid("query");
      const { items, total } = await c.get("services").users.list(page, per_page);
      return c.json({ items: items.map(toPublicUser), total, page, per_page }, 200);
    })
    .openapi(create, async (c) => {
      const user = await c.get("services").users.create(c.req.valid("json"), actorOf(c));
      return c.json({ user: toPublicUser(user) }, 201);
    })
    .openapi(get, async (c) => {
      const user = await c.get("services").users.get(c.req.valid("param").user_id);
      return c.json({ user: toPublicUser(user) }, 200);
    })
    .openapi(update, async (c) => {
      const user = await c
        .get("services")
        .users.update(c.req.valid("param").user_id, c.req.valid("json"), actorOf(c));
      return c.json({ user: toPublicUser(user) }, 200);
    })
    .openapi(remove, async (c) => {
      await c.get("services").users.remove(c.req.valid("param").user_id, actorOf(c));
      return c.body(null, 204);
    });
}
