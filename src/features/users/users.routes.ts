/** /api/v1/users: administrator user management. */
import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "../../http/context.ts";
import { adminOnly } from "../../http/guards.ts";
import {
  createRouter,
  errorResponses,
  jsonBody,
  jsonResponse,
  listSchema,
  PaginationQuery,
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
const admin = { ...adminOnly, tags: ["users"] };

const list = createRoute({
  ...admin,
  method: "get",
  path: "/users",
  operationId: "listUsers",
  summary: "List users",
  request: { query: PaginationQuery },
  responses: {
    200: jsonResponse(listSchema(UserSchema, "UserList"), "Users"),
    ...errorResponses(401, 403, 422),
  },
});

const create = createRoute({
  ...admin,
  method: "post",
  path: "/users",
  operationId: "createUser",
  summary: "Create a user",
  request: { body: jsonBody(CreateUserBody) },
  responses: {
    201: jsonResponse(z.object({ user: UserSchema }), "Created"),
    ...errorResponses(401, 403, 409, 422),
  },
});

const get = createRoute({
  ...admin,
  method: "get",
  path: "/users/{user_id}",
  operationId: "getUser",
  summary: "Get a user",
  request: { params: UserParams },
  responses: {
    200: jsonResponse(z.object({ user: UserSchema }), "The user"),
    ...errorResponses(401, 403, 404, 422),
  },
});

const update = createRoute({
  ...admin,
  method: "patch",
  path: "/users/{user_id}",
  operationId: "updateUser",
  summary: "Change a user's role, state, email or password",
  request: { params: UserParams, body: jsonBody(UpdateUserBody) },
  responses: {
    200: jsonResponse(z.object({ user: UserSchema }), "Updated"),
    ...errorResponses(401, 403, 404, 409, 422),
  },
});

const remove = createRoute({
  ...admin,
  method: "delete",
  path: "/users/{user_id}",
  operationId: "deleteUser",
  summary: "Delete a user",
  request: { params: UserParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404, 409, 422) },
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
