/**
 * The request bodies of sign-up, sign-in and password changes: one set of limits for the JSON API and the
 * web forms (src/web/auth, src/web/account), so neither door accepts what the other refuses.
 */
import { z } from "@hono/zod-openapi";
import { EmailSchema, PasswordSchema, UsernameSchema } from "../users/users.schemas.ts";

export const RegisterBody = z
  .object({ username: UsernameSchema, password: PasswordSchema, email: EmailSchema })
  .strict()
  .openapi("RegisterRequest");

export const LoginBody = z
  .object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) })
  .strict()
  .openapi("LoginRequest");

export const RefreshBody = z
  .object({ refresh_token: z.string().min(1).max(512) })
  .strict()
  .openapi("RefreshRequest");

export const ChangePasswordBody = z
  .object({
    current_password: z.string().min(1).max(1024),
    new_password: PasswordSchema,
    refresh_token: z
      .string()
      .max(512)
      .optional()
      .openapi({ description: "Your current refresh token: this session stays signed in, all others end" }),
  })
  .strict()
  .openapi("ChangePasswordRequest");
