/**
 * The one account every bench signs in as: registered on a fresh Proximity (the first user, so an admin) and
 * logged in, over HTTP like any client.
 */
import { signUpOverHttp } from "../../tests/helpers/process.ts";

export const BENCH_PASSWORD = "bench-password-123";

export interface BenchUser {
  token: string;
  userId: string;
}

export function signUpBenchUser(baseUrl: string): Promise<BenchUser> {
  return signUpOverHttp(baseUrl, "bench", BENCH_PASSWORD);
}
