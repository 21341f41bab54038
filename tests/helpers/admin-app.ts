/**
 * For a file whose every test starts from a fresh app and its admin: call adminAppPerTest() at its top
 * level, and `t` and `admin` hold the current test's app and admin (module bindings, set again before each
 * test). appPerTest() is the same without a user (`admin` is then not set). A test process runs one file at
 * a time, so a file never sees another file's app.
 */
import { beforeEach } from "bun:test";
import type { BuildOptions } from "../../src/boot/container.ts";
import { appWithAdmin, createTestApp, type Session, type TestApp } from "./harness.ts";

export let t: TestApp;
export let admin: Session;

export function adminAppPerTest(env: Record<string, string> = {}, build: BuildOptions = {}): void {
  beforeEach(async () => {
    ({ t, admin } = await appWithAdmin(env, build));
  });
}

export function appPerTest(env: Record<string, string> = {}, build: BuildOptions = {}): void {
  beforeEach(async () => {
    t = await createTestApp(env, build);
  });
}
