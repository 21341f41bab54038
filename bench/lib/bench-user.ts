/**
 * The one account every bench signs in as: registered on a fresh Proximity (the first user, so an admin) and
 * logged in, over HTTP like any client.
 */
export const BENCH_PASSWORD = "bench-password-123";

export interface BenchUser {
  token: string;
  userId: string;
}

export async function signUpBenchUser(baseUrl: string): Promise<BenchUser> {
  const post = (path: string, body: unknown) =>
    fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  await post("/api/v1/auth/register", { username: "bench", password: BENCH_PASSWORD });
  const res = await post("/api/v1/auth/login", { username: "bench", password: BENCH_PASSWORD });
  if (!res.ok) throw new Error(`bench login failed: ${res.status} ${await res.text()}`);
  const login = (await res.json()) as { access_token: string; user: { id: string } };
  return { token: login.access_token, userId: login.user.id };
}
