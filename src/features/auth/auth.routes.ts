/** /api/v1/auth: register, login, refresh, logout, me, change-password. */
import { createRoute, z } from "@hono/zod-openapi";
import { actorOf, clientOf } from "../../http/context.ts";
import { authed, publicRoute } from "../../http/guards.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse } from "../../http/openapi.ts";
import { toPublicUser, UserSchema } from "../users/users.schemas.ts";
import type { UsersService } from "../users/users.service.ts";
import { ChangePasswordBody, LoginBody, RefreshBody, RegisterBody } from "./auth.schemas.ts";
import type { AuthService } from "./auth.service.ts";

/** The services these routes reach through `c.get("services")`. */
export interface AuthRouteServices {
  auth: AuthService;
  users: UsersService;
}

const TokenResponse = z
  .object({
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal("bearer"),
    expires_in: z.number().int().openapi({ example: 900 }),
    user: UserSchema,
  })
  .openapi("TokenResponse");

const register = createRoute({
  method: "post",
  path: "/auth/register",
  operationId: "register",
  ...publicRoute,
  tags: ["auth"],
  summary: "Create an account (the first account becomes administrator)",
  request: { body: jsonBody(RegisterBody) },
  responses: {
    201: jsonResponse(z.object({ user: UserSchema }), "The account was created"),
    ...errorResponses(403, 409, 422, 429, 503),
  },
});

const login = createRoute({
  method: "post",
  path: "/auth/login",
  operationId: "login",
  ...publicRoute,
  tags: ["auth"],
  summary: "Exchange username and password for tokens",
  request: { body: jsonBody(LoginBody) },
  responses: { 200: jsonResponse(TokenResponse, "Signed in"), ...errorResponses(401, 422, 429, 503) },
});

const refresh = createRoute({
  method: "post",
  path: "/auth/refresh",
  operationId: "refreshTokens",
  ...publicRoute,
  tags: ["auth"],
  summary: "Rotate a refresh token for a new token pair",
  request: { body: jsonBody(RefreshBody) },
  responses: { 200: jsonResponse(TokenResponse, "New tokens"), ...errorResponses(401, 422) },
});

const logout = createRoute({
  method: "post",
  path: "/auth/logout",
  operationId: "logout",
  tags: ["auth"],
  summary: "End the session of a refresh token",
  ...authed,
  request: { body: jsonBody(RefreshBody) },
  responses: { 204: { description: "Signed out" }, ...errorResponses(401, 422) },
});

const me = createRoute({
  method: "get",
  path: "/auth/me",
  operationId: "getCurrentUser",
  tags: ["auth"],
  summary: "The signed-in user",
  ...authed,
  responses: { 200: jsonResponse(z.object({ user: UserSchema }), "The user"), ...errorResponses(401) },
});

const changePassword = createRoute({
  method: "post",
  path: "/auth/change-password",
  operationId: "changePassword",
  tags: ["auth"],
  summary: "Change your password; every other session ends",
  ...authed,
  request: { body: jsonBody(ChangePasswordBody) },
  responses: { 204: { description: "Password changed" }, ...errorResponses(401, 422, 429, 503) },
});

export function authRoutes() {
  return createRouter<AuthRouteServices>()
    .openapi(register, async (c) => {
      const body = c.req.valid("json");
      const user = await c.get("services").users.register(body, clientOf(c));
      return c.json({ user: toPublicUser(user) }, 201);
    })
    .openapi(login, async (c) => {
      const { username, password } = c.req.valid("json");
      const { user, ...tokens } = await c.get("services").auth.login(username, password, clientOf(c));
      return c.json({ ...tokens, user: toPublicUser(user) }, 200);
    })
    .openapi(refresh, async (c) => {
      const { refresh_token } = c.req.valid("json");
      const { user, ...tokens } = await c.get("services").auth.refresh(refresh_token, clientOf(c));
      return c.json({ ...tokens, user: toPublicUser(user) }, 200);
    })
    .openapi(logout, async (c) => {
      await c.get("services").auth.logout(c.req.valid("json").refresh_token, actorOf(c));
      return c.body(null, 204);
    })
    .openapi(me, async (c) => {
      // requireAuth read this row in this very request: no second query.
      const { auth, users } = c.get("services");
      const user = auth.accountOf(c.get("user")) ?? (await users.get(c.get("user").id));
      return c.json({ user: toPublicUser(user) }, 200);
    })
    .openapi(changePassword, async (c) => {
      const body = c.req.valid("json");
      await c
        .get("services")
        .auth.changePassword(actorOf(c), body.current_password, body.new_password, body.refresh_token);
      return c.body(null, 204);
    });
}
