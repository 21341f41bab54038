/** Request/response schemas shared by the auth and users routes. */
import { z } from "@hono/zod-openapi";
import type { User } from "../../db/schema.ts";

export const UsernameSchema = z
  .string()
  .min(3, "must be 3 to 32 characters")
  .max(32, "must be 3 to 32 characters")
  .regex(/^[A-Za-z0-9_.-]+$/, "may contain only letters, digits, _ . and -")
  .transform((v) => v.toLowerCase())
  .openapi({ example: "alice", description: "3–32 of [a-z0-9_.-]; case-insensitive" });

/**
 * Why a password of the right length is still too easy to guess, or undefined: only spaces, one piece
 * repeated ("hellohello", ten spaces), or fewer than five different characters.
 */
function weakPassword(password: string): string | undefined {
  if (password.trim() === "") return "must not be only spaces";
  if (/^(.+)\1+$/su.test(password)) return "must not be one word or character repeated";
  if (new Set(password).size < 5) return "must use at least 5 different characters";
  return undefined;
}

export const PasswordSchema = z
  .string()
  .min(10, "must be at least 10 characters")
  .max(1024, "must be at most 1024 characters")
  .superRefine((v, ctx) => {
    const weak = v.length >= 10 ? weakPassword(v) : undefined;
    if (weak) ctx.addIssue({ code: "custom", message: weak });
  })
  .openapi({ example: "correct-horse-battery", format: "password" });

export const EmailSchema = z.email("must be an email address").max(254).nullable().optional();

export const UserSchema = z
  .object({
    id: z.string().uuid(),
    username: z.string(),
    email: z.string().nullable(),
    role: z.enum(["admin", "user"]),
    disabled: z.boolean(),
    created_at: z.string().datetime(),
    last_login_at: z.string().datetime().nullable(),
  })
  .openapi("User");

export interface PublicUser {
  id: string;
  username: string;
  email: string | null;
  role: "admin" | "user";
  disabled: boolean;
  created_at: string;
  last_login_at: string | null;
}

export function toPublicUser(u: User): PublicUser {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    role: u.role,
    disabled: u.disabled,
    created_at: u.createdAt.toISOString(),
    last_login_at: u.lastLoginAt ? u.lastLoginAt.toISOString() : null,
  };
}
