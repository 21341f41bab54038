/** /api/v1/auth: register, login, refresh, logout, me, change-password. */
import { z } from "@hono/zod-openapi";
import { actorOf, clientOf } from "../../http/context.ts";
import { authed, publicRoute } from "../../http/guards.ts";
import { createRouter, itemResponse, jsonBody, jsonResponse, routesFor } from "../../http/openapi.ts";
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

const anyone = routesFor(publicRoute, "auth");
const user = routesFor(authed, "auth");

const register = anyone.post("/auth/register", {
  operationId: "register",
  summary: "Create an account (the first account becomes administrator)",
  request: { body: jsonBody(RegisterBody) },
  responses: { 201: itemResponse("user", UserSchema, "The account was created") },
  errors: [403, 409, 429, 503],
});

const login = anyone.post("/auth/login", {
  operationId: "login",
  summary: "Exchange username and password for tokens",
  request: { body: jsonBody(LoginBody) },
  responses: { 200: jsonResponse(TokenResponse, "Signed in") },
  errors: [401, 429, 503],
});

const refresh = anyone.post("/auth/refresh", {
  operationId: "refreshTokens",
  summary: "Rotate a refresh token for a new token pair",
  request: { body: jsonBody(RefreshBody) },
  responses: { 200: jsonResponse(TokenResponse, "New tokens") },
  errors: [401],
});

const logout = user.post("/auth/logout", {
  operationId: "logout",
  summary: "End the session of a refresh token",
  request: { body: jsonBody(RefreshBody) },
  responses: { 204: { description: "Signed out" } },
});

const me = user.get("/auth/me", {
  operationId: "getCurrentUser",
  summary: "The signed-in user",
  responses: { 200: itemResponse("user", UserSchema, "The user") },
});

const changePassword = user.post("/auth/change-password", {
  operationId: "changePassword",
  summary: "Change your password; every other session ends",
  request: { body: jsonBody(ChangePasswordBody) },
  responses: { 204: { description: "Password changed" } },
  errors: [429, 503],
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
