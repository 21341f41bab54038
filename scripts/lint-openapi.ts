/**
 * `bun run lint` part two: writes the OpenAPI document the app serves to a temporary file and lints it with
 * Redocly's recommended rules (redocly.yaml). Any error or warning fails the run.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openApiDocument } from "../src/boot/app.ts";
import { loadConfig } from "../src/core/config.ts";

interface Problem {
  ruleId: string;
  severity: "error" | "warn";
  message: string;
  location?: { pointer?: string }[];
}

function parseProblems(stdout: string): Problem[] | undefined {
  try {
    const report = JSON.parse(stdout) as { problems?: Problem[] };
    return Array.isArray(report.problems) ? report.problems : undefined;
  } catch {
    return undefined;
  }
}

const root = join(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "proximity-openapi-"));
const file = join(dir, "openapi.json");
try {
  // Defaults only: the document must not depend on whatever the developer's environment holds.
  writeFileSync(file, JSON.stringify(openApiDocument(loadConfig({})), null, 2));
  const lint = Bun.spawnSync(
    [
      process.execPath,
      join(root, "node_modules/@redocly/cli/bin/cli.js"),
      "lint",
      "--config",
      join(root, "redocly.yaml"),
      "--format",
      "json",
      "--max-problems",
      "10000",
      file,
    ],
    {
      cwd: root,
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_NOTIFICATIONS: "true" },
    },
  );
  const problems = parseProblems(lint.stdout.toString());
  if (!problems) {
    process.stderr.write(lint.stdout.toString() + lint.stderr.toString());
    console.error(`OpenAPI lint: redocly did not produce a report (exit code ${lint.exitCode}).`);
    process.exit(1);
  }
  // Redocly exits 0 on warnings; the contract must have none.
  if (problems.length > 0 || lint.exitCode !== 0) {
    for (const p of problems) {
      console.error(`${p.severity} ${p.ruleId} at ${p.location?.[0]?.pointer ?? "?"}: ${p.message}`);
    }
    console.error(`OpenAPI lint failed: ${problems.length} problem(s) in the generated document.`);
    process.exit(1);
  }
  console.log("OpenAPI document: Redocly recommended rules pass with no errors and no warnings.");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
