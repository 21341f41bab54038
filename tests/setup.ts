// Preloaded by `bun test` (bunfig.toml). A global afterAll here runs once, after every test file.
// (Slow files set their own default timeout: Bun applies a preload's setDefaultTimeout to the first file only.)
import { afterAll } from "bun:test";
import { closeTestDatabase } from "./helpers/db.ts";

afterAll(async () => {
  await closeTestDatabase();
});
