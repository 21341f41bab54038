// Preloaded by `bun test` (bunfig.toml). A global afterAll here runs once, after every test file.
import { afterAll, setDefaultTimeout } from "bun:test";
import { closeTestDatabase } from "./helpers/db.ts";

// End-to-end tests drive a simulated cluster over real sockets; Bun's 5 s default is too tight on 2 cores.
setDefaultTimeout(60_000);

afterAll(async () => {
  await closeTestDatabase();
});
