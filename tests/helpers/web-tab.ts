/**
 * A browser tab without a browser: a cookie jar and the page's CSRF token, for the web pages through
 * app.request() (the app's PUBLIC_URL must be ORIGIN, so the origin check passes).
 */
import { expect } from "bun:test";
import { setupCode } from "../../src/web/auth/setup-code.ts";
import { PASSWORD, type TestApp } from "./harness.ts";

export const ORIGIN = "https://proximity.example.com";

/** A cookie jar and the page's CSRF token, like a browser tab. */
export class Tab {
  jar = new Map<string, string>();
  csrf = "";
  constructor(private readonly t: Pick<TestApp, "app">) {}

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(
    path: string,
    init: {
      method?: string;
      form?: Record<string, string>;
      headers?: Record<string, string>;
      token?: boolean;
    } = {},
  ): Promise<Response> {
    const method = init.method ?? (init.form ? "POST" : "GET");
    const headers = new Headers(init.headers);
    if (this.jar.size) headers.set("cookie", this.cookieHeader());
    if (method !== "GET" && !headers.has("origin")) headers.set("origin", ORIGIN);
    let body: string | undefined;
    if (init.form) {
      const form = new URLSearchParams(init.form);
      if (init.token !== false) form.set("_csrf", this.csrf);
      // In-process requests have no client address, so first run asks for the code from the log.
      if (path === "/setup" && !form.has("setup_code")) form.set("setup_code", setupCode());
      body = form.toString();
      headers.set("content-type", "application/x-www-form-urlencoded");
    }
    const res = await this.t.app.request(`${ORIGIN}${path}`, { method, headers, body });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const [k, v] = pair!.split("=") as [string, string];
      if (/Max-Age=0/.test(c)) this.jar.delete(k);
      else this.jar.set(k, v);
    }
    if ((res.headers.get("content-type") ?? "").includes("text/html")) {
      const text = await res.clone().text();
      const token = text.match(/name="csrf-token" content="([^"]+)"/)?.[1];
      if (token) this.csrf = token;
    }
    return res;
  }

  async signIn(username: string, password = PASSWORD) {
    await this.request("/login");
    const res = await this.request("/login", { form: { username, password } });
    expect(res.status).toBe(303);
    return res;
  }
}

/** A tab that went through first run: the admin ("admin", PASSWORD) created and signed in. */
export async function adminTab(t: Pick<TestApp, "app">): Promise<Tab> {
  const tab = new Tab(t);
  await tab.request("/setup");
  await tab.request("/setup", { form: { username: "admin", password: PASSWORD } });
  return tab;
}
