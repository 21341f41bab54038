/** The Hono environment of the web pages: the API's, plus the signed-in viewer and the CSRF token. */
import type { AppEnv, AuthUser } from "../http/context.ts";

export interface WebEnv {
  Variables: AppEnv["Variables"] & {
    /** The signed-in user, when the session cookie is valid. */
    viewer: AuthUser | undefined;
    /** The current session's refresh token (from the cookie, or just rotated). */
    sessionToken: string | undefined;
    /** The token every state-changing request must carry (form field `_csrf` or header x-csrf-token). */
    csrfToken: string;
    /** "light" | "dark" from the theme cookie; undefined follows the system setting. */
    theme: "light" | "dark" | undefined;
  };
}
