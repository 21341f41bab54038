// Preloaded by `bun test` (bunfig.toml). A global afterAll here runs once, after every test file.
import { afterAll } from "bun:test";
import { closeTestDatabase } from "./helpers/db.ts";

afterAll(async () => {
  await closeTestDatabase();
});
