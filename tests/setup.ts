// Preloaded by `bun test` (bunfig.toml). A global afterAll here runs once, after every test file.
// (Slow files set their own default timeout: Bun applies a preload's setDefaultTimeout to the first file only.)
import { afterAll } from "bun:test";
import { configureLogging, LOG_LEVELS, type LogLevel } from "../src/core/log.ts";
import { closeTestDatabase } from "./helpers/db.ts";

// The suite makes thousands of requests and fails jobs on purpose: its log lines are discarded unless
// LOG_LEVEL asks for them (`LOG_LEVEL=debug bun test tests/x.test.ts`). Tests that check logging capture
// the lines themselves (tests/helpers/logs.ts).
const wanted = LOG_LEVELS.find((level: LogLevel) => level === process.env.LOG_LEVEL);
configureLogging(wanted ? { level: wanted } : { level: "error", write: () => {} });

afterAll(async () => {
  await closeTestDatabase();
});
