/** /api/v1/users: administrator user management. */
import { z } from "@hono/zod-openapi";
import { adminOnly } from "../../http/guards.ts";
import { routesFor } from "../../http/openapi.ts";
import { resourceRoutes } from "../../http/resource.ts";
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

const admin = routesFor(adminOnly, "users");

export function usersRoutes() {
  return resourceRoutes(admin, {
    path: "/users",
    id: "user_id",
    item: "user",
    schema: UserSchema,
    toPublic: toPublicUser,
    service: (s: UsersRouteServices) => s.users,
    list: {
      operationId: "listUsers",
      summary: "List users",
      paged: "UserList",
      answer: "Users",
      call: (users, page, perPage) => users.list(page, perPage),
    },
    create: {
      operationId: "createUser",
      summary: "Create a user",
      body: CreateUserBody,
      answer: "Created",
      errors: [409],
      call: (users, body, actor) => users.create(body, actor),
    },
    get: {
      operationId: "getUser",
      summary: "Get a user",
      answer: "The user",
      call: (users, id) => users.get(id),
    },
    update: {
      operationId: "updateUser",
      summary: "Change a user's role, state, email or password",
      body: UpdateUserBody,
      answer: "Updated",
      errors: [409],
      call: (users, id, body, actor) => users.update(id, body, actor),
    },
    delete: {
      operationId: "deleteUser",
      summary: "Delete a user",
      answer: "Deleted",
      errors: [409],
      call: (users, id, actor) => users.remove(id, actor),
    },
  });
}
