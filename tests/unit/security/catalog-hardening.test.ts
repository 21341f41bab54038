/**
 * The catalog validator holds the rules stated in its own header against the bypasses an adversarial pass
 * found: quoted booleans, capabilities, devices, security options, volume driver options, and variables
 * where a user's value would decide isolation (docs/security.md: "Catalog entries").
 */
import { describe, expect, test } from "bun:test";
import { stringify } from "yaml";
import { parseCatalogFile } from "../../../src/features/catalog/entry-rules.ts";

/**
 * A valid entry; `service` lines go into the `app` service, `volumes` replace its volume list, `top` is the
 * top-level `volumes:` body. MODE is a variable the user sets freely.
 */
function entry(parts: { service?: string[]; volumes?: string[]; top?: string[] } = {}) {
  const indent = (n: number, lines: string[]) => lines.map((l) => `${" ".repeat(n)}${l}`).join("\n");
  const compose = [
    "services:",
    "  app:",
    "    image: ghcr.io/example/app:1.2.3",
    "    environment:",
    "      MODE: ${MODE}",
    "    ports:",
    '      - "8080:8080"',
    "    volumes:",
    indent(6, parts.volumes ?? ["- app-data:/data"]),
    ...(parts.service ? [indent(4, parts.service)] : []),
    "volumes:",
    indent(2, parts.top ?? ["app-data:"]),
    "",
  ].join("\n");
  return stringify({
    id: "example",
    name: "Example",
    version: "1.2.3",
    description: "An example app.",
    category: "tools",
    icon: "https://example.com/icon.svg",
    website: "https://example.com",
    os_template: "alpine-3.22",
    min: { cores: 1, memory_mb: 256, disk_gb: 2 },
    ports: [{ name: "http", container: 8080, protocol: "tcp", primary: true }],
    env: [{ name: "MODE", description: "anything the user types", default: "normal" }],
    compose,
    healthcheck: { port: 8080, first_boot: { path: "/health", expect: 200 }, later: { path: "/health" } },
    pin: { verified: "2026-11-29", source: "https://example.com/releases" },
    update_policy: "same-major",
    upgrade: "Back up first.",
  });
}

const issuesOf = (text: string) => {
  const result = parseCatalogFile(text, "example");
  return result.ok ? [] : result.issues;
};

describe("catalog validator hardening", () => {
  test("the baseline entry is valid", () => {
    expect(issuesOf(entry())).toEqual([]);
  });

  test.each([
    ['privileged: "true"', "privileged is not allowed"],
    ["privileged: 'yes'", "privileged is not allowed"],
    ["cap_add: [ALL]", "cap_add may only name NET_ADMIN, NET_RAW, SYS_PTRACE (got ALL)"],
    [
      "cap_add: [NET_ADMIN, SYS_ADMIN]",
      "cap_add may only name NET_ADMIN, NET_RAW, SYS_PTRACE (got SYS_ADMIN)",
    ],
    ["devices: ['/dev/sda:/dev/sda']", "devices is not allowed"],
    ["security_opt: [apparmor=unconfined]", "security_opt is not allowed"],
    ["security_opt: [no-new-privileges:true, seccomp=unconfined]", "security_opt is not allowed"],
    ["security_opt: [no-new-privileges:false]", "security_opt is not allowed"],
    ['security_opt: ["no-new-privileges:${MODE}"]', "security_opt is not allowed"],
    ["pid: ${MODE}", "pid must not use variables"],
    ["ipc: ${MODE}", "ipc must not use variables"],
    ["privileged: ${MODE}", "privileged must not use variables"],
    ["userns_mode: ${MODE:-private}", "userns_mode must not use variables"],
  ])("%s is rejected", (line, message) => {
    expect(issuesOf(entry({ service: [line] })).join("\n")).toContain(message);
  });

  test("security_opt no-new-privileges (it only takes privileges away) is accepted", () => {
    expect(issuesOf(entry({ service: ["security_opt: [no-new-privileges:true]"] }))).toEqual([]);
  });

  test.each([
    ["- ./${MODE}:/data", "sources must not use variables"],
    ["- ${MODE}:/data", "sources must not use variables"],
    ['- { type: bind, source: "./data/${MODE}", target: /x }', "sources must not use variables"],
  ])("volume %s is rejected", (line, message) => {
    expect(issuesOf(entry({ volumes: [line] })).join("\n")).toContain(message);
  });

  test("a named volume with driver_opts {o: bind, device: /} is rejected", () => {
    const issues = issuesOf(
      entry({ top: ["app-data:", "  driver: local", "  driver_opts: { type: none, o: bind, device: / }"] }),
    ).join("\n");
    expect(issues).toContain("volume app-data: driver_opts is not allowed");
    expect(issues).toContain("volume app-data: driver is not allowed");
  });

  test("values are checked after interpolation with worst-case values", () => {
    // A default that is harmless as written, and a variable that a user could point anywhere.
    const issues = issuesOf(entry({ service: ["network_mode: ${MODE:-bridge}"] })).join("\n");
    expect(issues).toContain("network_mode must not use variables");
    expect(issuesOf(entry({ service: ["cgroup: ${MODE:-private}"] })).join("\n")).toContain(
      'cgroup: host is not allowed when a variable is "host"',
    );
  });
});
