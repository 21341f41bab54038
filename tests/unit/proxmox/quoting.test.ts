import { describe, expect, test } from "bun:test";
import { buildPctExecCommand, commandLabel, shQuote } from "../../../src/proxmox/pct-command.ts";

/** Runs the quoted words through a real POSIX sh and returns the argv it sees. */
async function shellArgv(words: string[]): Promise<string[]> {
  const script = `for a in ${words.map(shQuote).join(" ")}; do printf '%s\\0' "$a"; done`;
  const proc = Bun.spawn(["/bin/sh", "-c", script], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  expect(await proc.exited).toBe(0);
  return out.split("\0").slice(0, -1);
}

describe("shQuote", () => {
  test("wraps in single quotes and escapes embedded quotes", () => {
    expect(shQuote("abc")).toBe("'abc'");
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
    expect(shQuote("")).toBe("''");
  });

  test("a real sh sees every hostile value literally", async () => {
    const hostile = [
      "plain",
      "",
      "it's",
      "''",
      "$(touch /tmp/pwned)",
      "`id`",
      "$HOME $" + "{PATH}",
      "a;b|c&d>e<f",
      "\\'\\",
      "*?[a]~",
      'double "quotes"',
      "tab\there",
      "ünïcødé ✓",
      "-rf --no-preserve-root",
    ];
    expect(await shellArgv(hostile)).toEqual(hostile);
  });
});

describe("buildPctExecCommand", () => {
  test("fixed words, integer vmid, each argv element quoted", () => {
    expect(buildPctExecCommand(101, ["docker", "compose", "-f", "/opt/app/compose.yaml", "up", "-d"])).toBe(
      "pct exec 101 --keep-env 0 -- 'docker' 'compose' '-f' '/opt/app/compose.yaml' 'up' '-d'",
    );
    expect(buildPctExecCommand(100, ["tee", "/opt/it's here"])).toBe(
      `pct exec 100 --keep-env 0 -- 'tee' '/opt/it'\\''s here'`,
    );
    // A non-root SSH login goes through sudo -n (pct refuses anyone but root).
    expect(buildPctExecCommand(100, ["true"], { sudo: true })).toBe(
      "sudo -n pct exec 100 --keep-env 0 -- 'true'",
    );
  });

  test("rejects vmids outside PVE's range and non-integers", () => {
    for (const bad of [99, 0, -1, 1_000_000_000, 100.5, Number.NaN]) {
      expect(() => buildPctExecCommand(bad, ["true"])).toThrow(/vmid/);
    }
    expect(buildPctExecCommand(999_999_999, ["true"])).toStartWith("pct exec 999999999 --keep-env 0 -- ");
  });

  test("rejects NUL and line breaks in argv, and empty argv", () => {
    expect(() => buildPctExecCommand(100, ["echo", "a\nb"])).toThrow(/line break/);
    expect(() => buildPctExecCommand(100, ["echo", "a\rb"])).toThrow(/line break/);
    expect(() => buildPctExecCommand(100, ["echo", "a\0b"])).toThrow(/NUL/);
    expect(() => buildPctExecCommand(100, [])).toThrow(/empty/);
    expect(() => buildPctExecCommand(100, ["x".repeat(5000)])).toThrow(/longer/);
  });
});

describe("commandLabel", () => {
  test("program plus a subcommand word, never paths or data", () => {
    expect(commandLabel(["docker", "compose", "-f", "/opt/app/compose.yaml", "up"])).toBe("docker compose");
    expect(commandLabel(["apt-get", "install", "-y", "docker.io"])).toBe("apt-get install");
    expect(commandLabel(["tee", "/opt/app/.env"])).toBe("tee");
    expect(commandLabel(["/usr/bin/cat", "secret.txt"])).toBe("cat");
    expect(commandLabel(["mkdir", "-p", "/opt/app"])).toBe("mkdir");
  });
});
