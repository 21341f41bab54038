/**
 * The catalog rules that keep an installed app working for its whole life: each one refuses a bad entry (at
 * load, so an operator file that breaks one is skipped), `catalog:lint` fails on them and on a pin whose
 * support has ended, and the update policy refuses unsafe version moves.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { stringify } from "yaml";
import { lintCatalogFiles, outdatedReport } from "../../../src/features/catalog/catalog.lint.ts";
import type { CatalogEntry } from "../../../src/features/catalog/catalog.schemas.ts";
import { updateRefusal } from "../../../src/features/catalog/catalog.service.ts";
import { BUILTIN_CATALOG_FILES } from "../../../src/features/catalog/entries/index.ts";
import { parseCatalogFile } from "../../../src/features/catalog/entry-rules.ts";
import { renderTemplate } from "../../../src/features/catalog/file-templates.ts";
import { DEMO_ENTRY } from "./demo-entry.ts";

type Raw = Record<string, unknown> & { env: Record<string, unknown>[]; compose: string };

function good(): Raw {
  return {
    ...DEMO_ENTRY,
    version: "2.4.1",
    ports: [{ name: "http", container: 8080, primary: true }],
    env: [
      { name: "PUBLIC_URL", description: "Public URL (unset = the app's own URL)." },
      { name: "TZ", description: "Time zone.", default: "Etc/UTC" },
    ],
    compose: `services:
  app:
    image: example/demo:2.4.1
    environment:
      PUBLIC_URL: \${PUBLIC_URL:-\${APP_URL}}
      TRUSTED: "\${APP_ADDRESS} \${APP_HOSTNAME}"
      TZ: \${TZ}
    ports: ["8080:8080"]
`,
    healthcheck: { port: 8080, first_boot: { path: "/setup" }, later: { path: "/login" } },
    pin: { verified: "2026-11-29", source: "https://example.com/releases", eol: "2027-06-30" },
    update_policy: "same-major",
    upgrade: "Back up first.",
  };
}

/** The demo compose file with a database beside the app: an image that does not carry the entry's version. */
function withDatabase(compose: string): string {
  return `${compose}  db:
    image: postgres:17.11-alpine
    volumes:
      - db-data:/var/lib/postgresql/data
volumes:
  db-data:
`;
}

/** The entry with a database beside the app (its volume: db-data), shipping `files`. */
const withFiles = (files: Record<string, unknown>[]) => (e: Raw) => {
  e.compose = withDatabase(e.compose);
  e.files = files;
};

function issuesOf(raw: Raw): string[] {
  const r = parseCatalogFile(stringify(raw), String(raw.id));
  return r.ok ? [] : r.issues;
}

function entryOf(raw: Raw): CatalogEntry {
  const r = parseCatalogFile(stringify(raw), String(raw.id));
  if (!r.ok) throw new Error(r.issues.join("; "));
  return r.entry;
}

describe("a well-formed entry passes every rule", () => {
  test("optional value with a fallback, per-deploy values, two health requests, pin and policy", () => {
    expect(issuesOf(good())).toEqual([]);
  });

  test("files for its own volumes, text and base64, with their defaults", () => {
    const raw = good();
    raw.compose = withDatabase(raw.compose);
    raw.files = [
      { volume: "db-data", path: "init/01.sql", content: "select 1;\n" },
      {
        volume: "db-data",
        path: "seed.bin",
        encoding: "base64",
        content: "AAEC",
        mode: "0600",
        owner: "999:999",
      },
    ];
    expect(entryOf(raw).files).toEqual([
      {
        volume: "db-data",
        path: "init/01.sql",
        content: "select 1;\n",
        encoding: "utf-8",
        mode: "0644",
        owner: "0:0",
      },
      {
        volume: "db-data",
        path: "seed.bin",
        content: "AAEC",
        encoding: "base64",
        mode: "0600",
        owner: "999:999",
      },
    ]);
  });
});

describe("the version and the images' tags", () => {
  test("an app image pinned by its digest alone has no tag to match: the version is the entry's word", () => {
    const raw = good();
    raw.compose = withDatabase(raw.compose).replace(
      "example/demo:2.4.1",
      `example/demo@sha256:${"ab".repeat(32)}`,
    );
    raw.pin = {
      ...(raw.pin as object),
      sidecars: [{ image: "postgres:17.11-alpine", source: "https://example.com/pg" }],
    };
    expect(issuesOf(raw).filter((i) => i.startsWith("version"))).toEqual([]);
    // With a tag beside the digest, the tag still has to carry the version.
    raw.compose = raw.compose.replace("example/demo@", "example/demo:2.5.0@");
    expect(issuesOf(raw).filter((i) => i.startsWith("version"))).toEqual([
      'version: "2.4.1" is not the tag of any image (2.5.0, 17.11-alpine): say which release is pinned',
    ]);
  });
});

describe("template files", () => {
  test("a setting used only by a template counts as used; rendering fills every placeholder", () => {
    const raw = good();
    raw.compose = withDatabase(raw.compose);
    raw.env.push({ name: "PEER", description: "Peer.", default: "peer.lan" });
    raw.files = [
      {
        volume: "db-data",
        path: "app.yml",
        content: "peer: {{PEER}}\nme: {{ APP_HOSTNAME }}\n",
        template: true,
      },
    ];
    const file = entryOf(raw).files[0]!;
    expect(renderTemplate(file, { PEER: "peer.lan", APP_HOSTNAME: "demo" })).toBe(
      "peer: peer.lan\nme: demo\n",
    );
    // An empty or missing value is never written.
    expect(() => renderTemplate(file, { PEER: "", APP_HOSTNAME: "demo" })).toThrow("no value for {{PEER}}");
  });
});

describe("each rule refuses a bad entry", () => {
  const cases: [string, (e: Raw) => void, string][] = [
    [
      "an optional value without default used bare",
      (e) => {
        e.compose = e.compose.replace("${PUBLIC_URL:-${APP_URL}}", "${PUBLIC_URL}");
      },
      "${PUBLIC_URL} is optional without a default, so it can be unset",
    ],
    [
      "an optional value with an empty fallback",
      (e) => {
        e.compose = e.compose.replace("${PUBLIC_URL:-${APP_URL}}", "${PUBLIC_URL:-}");
      },
      "${PUBLIC_URL} is optional without a default",
    ],
    [
      'an empty default (default: "")',
      (e) => {
        e.env[1]!.default = "";
      },
      "env.1.default: an empty default would reach the container set-but-empty",
    ],
    [
      "declaring a per-deploy value",
      (e) => {
        e.env.push({ name: "APP_URL", description: "x", default: "y" });
      },
      "APP_URL is provided by Proximity and cannot be declared",
    ],
    [
      "memory below what the Docker daemon needs",
      (e) => {
        e.min = { cores: 1, memory_mb: 128, disk_gb: 1 };
      },
      "min.memory_mb: must be at least 256",
    ],
    [
      "a health check without the later request",
      (e) => {
        e.healthcheck = { port: 8080, first_boot: { path: "/" } };
      },
      "healthcheck.later",
    ],
    [
      "no pin record",
      (e) => {
        delete e.pin;
      },
      "pin:",
    ],
    [
      "a pin without a source",
      (e) => {
        e.pin = { verified: "2026-11-29" };
      },
      "pin.source",
    ],
    [
      "a verified date that is not a date",
      (e) => {
        e.pin = { verified: "last week", source: "https://example.com" };
      },
      "pin.verified: must be a date",
    ],
    [
      "an unknown update policy",
      (e) => {
        e.update_policy = "yolo";
      },
      "update_policy",
    ],
    [
      "no upgrade notes",
      (e) => {
        delete e.upgrade;
      },
      "upgrade",
    ],
    [
      "a version that is not the pinned tag",
      (e) => {
        e.version = "2.5.0";
      },
      'version: "2.5.0" is not the tag of any image',
    ],
    [
      "an image on latest",
      (e) => {
        e.compose = e.compose.replace("example/demo:2.4.1", "example/demo:latest");
      },
      'must pin a version, not "latest"',
    ],
    [
      "an image tagged with an architecture alone (it moves like latest)",
      (e) => {
        e.compose = e.compose.replace("example/demo:2.4.1", "example/demo:amd64");
      },
      'must pin a version, not "amd64"',
    ],
    [
      "a sidecar pin for an image the compose file does not use",
      (e) => {
        e.pin = {
          ...(e.pin as object),
          sidecars: [{ image: "postgres:17.11-alpine", source: "https://example.com/pg" }],
        };
      },
      "pin.sidecars.0.image: postgres:17.11-alpine is not an image of the compose file (example/demo:2.4.1)",
    ],
    [
      "a sidecar already out of support when verified",
      (e) => {
        e.compose = withDatabase(e.compose);
        e.pin = {
          ...(e.pin as object),
          sidecars: [{ image: "postgres:17.11-alpine", source: "https://example.com/pg", eol: "2026-11-01" }],
        };
      },
      "pin.sidecars.0.eol: postgres:17.11-alpine was already out of support when verified",
    ],
    [
      "a default that breaks its own pattern",
      (e) => {
        e.env[1] = {
          ...e.env[1]!,
          pattern: "[A-Z][a-z]+/[A-Za-z_]+",
          pattern_message: "an IANA zone",
          default: "utc",
        };
      },
      "env.1.default: does not match the pattern",
    ],
    [
      "a file for a volume the compose file does not declare",
      withFiles([{ volume: "config", path: "app.yml", content: "a: 1\n" }]),
      "files.0.volume: config is not a volume declared under the compose file's top-level volumes",
    ],
    [
      "a file path that climbs out of its volume",
      withFiles([{ volume: "db-data", path: "../../etc/passwd", content: "x" }]),
      "files.0.path: must be a relative path without . or .. segments",
    ],
    [
      "an absolute file path",
      withFiles([{ volume: "db-data", path: "/etc/passwd", content: "x" }]),
      "files.0.path: must be a relative path without . or .. segments",
    ],
    [
      "a file larger than 512 KiB",
      withFiles([
        {
          volume: "db-data",
          path: "big.bin",
          encoding: "base64",
          content: Buffer.alloc(600_000).toString("base64"),
        },
      ]),
      "files.0.content: 600000 bytes: a file may hold at most 524288",
    ],
    [
      "more than 1 MiB of files in all",
      withFiles(
        [1, 2, 3].map((n) => ({
          volume: "db-data",
          path: `f${n}.txt`,
          content: "x".repeat(400_000),
        })),
      ),
      "files: 1200000 bytes in all: an entry may ship at most 1048576",
    ],
    [
      "a setuid mode",
      withFiles([{ volume: "db-data", path: "run.sh", content: "#!/bin/sh\n", mode: "4755" }]),
      "files.0.mode: must be octal permission bits such as 0644",
    ],
    [
      "a template naming a variable the entry does not provide",
      withFiles([{ volume: "db-data", path: "app.yml", content: "peer: {{PEER_URL}}\n", template: true }]),
      "files.0.content: {{PEER_URL}} is neither a setting of env nor a variable Proximity provides",
    ],
    [
      "a template using an optional setting without a default",
      withFiles([{ volume: "db-data", path: "app.yml", content: "url: {{PUBLIC_URL}}\n", template: true }]),
      "files.0.content: {{PUBLIC_URL}} is optional without a default",
    ],
    [
      "unpinned images in a catalog file (only a store's entries may have them)",
      (e) => {
        e.compose = e.compose.replace("example/demo:2.4.1", "example/demo:latest");
        e.unpinned_images = ["example/demo:latest"];
      },
      "unpinned_images: only entries imported from a third-party store may run unpinned images",
    ],
    [
      "a pinned image listed as unpinned",
      (e) => {
        e.unpinned_images = ["example/demo:2.4.1"];
      },
      "unpinned_images.0: example/demo:2.4.1 is not an image of the compose file without a version",
    ],
    [
      "a scheme on a UDP port",
      (e) => {
        e.ports = [
          ...(e.ports as object[]),
          { name: "dns", container: 53, protocol: "udp", scheme: "https" },
        ];
        e.compose = e.compose.replace('ports: ["8080:8080"]', 'ports: ["8080:8080", "53:53/udp"]');
      },
      "ports.1.scheme: only a TCP port has a scheme",
    ],
    [
      "files with the oci runtime",
      (e) => {
        e.compose = `${e.compose}    volumes: ["conf:/conf"]\nvolumes:\n  conf:\n`;
        e.runtimes = ["docker", "oci"];
        e.files = [{ volume: "conf", path: "app.yml", content: "a: 1\n" }];
      },
      "runtimes: an entry that ships files runs on docker only",
    ],
  ];
  for (const [name, mutate, expected] of cases) {
    test(name, () => {
      const raw = good();
      mutate(raw);
      const issues = issuesOf(raw);
      expect(issues.join("\n")).toContain(expected);
    });
  }
});

describe("catalog:lint", () => {
  const file = (raw: Raw): [string, string] => [`${raw.id}.yaml`, stringify(raw)];

  test("a pin whose end of support has passed is an error; an old verification is a warning", () => {
    const ok = lintCatalogFiles([file(good())], "2026-12-01");
    expect(ok.findings).toEqual([]);
    const late = lintCatalogFiles([file(good())], "2027-07-01");
    expect(late.findings.map((f) => f.level)).toEqual(["error", "warning"]);
    expect(late.findings[0]!.message).toContain("out of upstream support since 2027-06-30");
    expect(late.findings[1]!.message).toContain("last checked 214 days ago");
  });

  test("a sidecar without a recorded pin is a warning; one past its end of support is an error", () => {
    const raw = good();
    raw.compose = withDatabase(raw.compose);
    const unrecorded = lintCatalogFiles([file(raw)], "2026-12-01");
    expect(unrecorded.findings).toEqual([
      {
        file: "demo.yaml",
        level: "warning",
        message:
          "pin.sidecars: postgres:17.11-alpine does not carry version 2.4.1; record where its tag was checked",
      },
    ]);
    raw.pin = {
      ...(raw.pin as object),
      sidecars: [{ image: "postgres:17.11-alpine", source: "https://example.com/pg", eol: "2029-11-08" }],
    };
    expect(lintCatalogFiles([file(raw)], "2026-12-01").findings).toEqual([]);
    const late = lintCatalogFiles([file(raw)], "2029-11-09");
    expect(late.findings.filter((f) => f.level === "error").map((f) => f.message)).toContain(
      "pin.sidecars: postgres:17.11-alpine is out of upstream support since 2029-11-08: update it (https://example.com/pg)",
    );
  });

  test("a file that breaks a rule is an error naming the rule", () => {
    const raw = good();
    raw.min = { cores: 1, memory_mb: 128, disk_gb: 1 };
    const report = lintCatalogFiles([file(raw)], "2026-11-29");
    expect(report.entries).toEqual([]);
    expect(report.findings).toEqual([
      {
        file: "demo.yaml",
        level: "error",
        message: "min.memory_mb: must be at least 256 (the Docker daemon runs next to the app)",
      },
    ]);
  });

  test("the script passes on the built-in catalog and fails (exit 1) on a bad operator directory", async () => {
    const root = join(import.meta.dir, "../../..");
    const builtin = Bun.spawnSync(["bun", "scripts/catalog-lint.ts", "--today=2026-11-29"], { cwd: root });
    expect(builtin.exitCode, builtin.stdout.toString()).toBe(0);
    expect(builtin.stdout.toString()).toMatch(/catalog:lint: \d+ files, \d+ valid, 0 errors/);

    const dir = join(import.meta.dir, `../../.tmp-lint-${process.pid}`);
    const raw = good();
    raw.compose = raw.compose.replace("${PUBLIC_URL:-${APP_URL}}", "${PUBLIC_URL}");
    await Bun.write(join(dir, "demo.yaml"), stringify(raw));
    try {
      const bad = Bun.spawnSync(["bun", "scripts/catalog-lint.ts", dir], { cwd: root });
      expect(bad.exitCode).toBe(1);
      expect(bad.stdout.toString()).toContain("${PUBLIC_URL} is optional without a default");
    } finally {
      await Bun.$`rm -rf ${dir}`.quiet();
    }
  });

  test("catalog:outdated lists the stalest pins first, with their images", () => {
    const older = good();
    older.id = "older";
    older.pin = { verified: "2025-07-01", source: "https://example.com/older" };
    const rows = outdatedReport([entryOf(good()), entryOf(older)], "2026-11-29");
    expect(rows.map((r) => [r.id, r.age_days, r.eol])).toEqual([
      ["older", 516, null],
      ["demo", 0, "2027-06-30"],
    ]);
    expect(rows[0]!.images).toEqual(["example/demo:2.4.1"]);
    expect(rows[0]!.sidecars).toEqual([]);
  });

  test("the catalog:outdated script prints one row per built-in entry, its sidecars, and a markdown table", () => {
    const root = join(import.meta.dir, "../../..");
    const run = (...args: string[]) =>
      Bun.spawnSync(["bun", "scripts/catalog-outdated.ts", "--today=2026-11-29", ...args], { cwd: root });
    const text = run().stdout.toString();
    const ids = Object.keys(BUILTIN_CATALOG_FILES);
    for (const id of ids) expect(text, id).toMatch(new RegExp(`^${id} +\\S+ +\\d{4}-\\d{2}-\\d{2} `, "m"));
    expect(text).toMatch(/^ +sidecar +postgres:\S+ +eol \d{4}-\d{2}-\d{2} +https:\/\//m);
    expect(text).toContain(`${ids.length} entries (2026-11-29): 0 out of support`);
    const table = run("--markdown").stdout.toString().trim().split("\n");
    expect(table[0]).toBe("| App | Pin | Sidecars | Verified | End of support | Policy | Source |");
    expect(table).toHaveLength(ids.length + 2);
  });

  test("catalog:outdated names each sidecar with its source and end of support, or null when not recorded", () => {
    const raw = good();
    raw.compose = withDatabase(raw.compose).replace(
      "services:\n",
      "services:\n  cache:\n    image: redis:8.10.2-alpine\n",
    );
    raw.pin = {
      ...(raw.pin as object),
      sidecars: [{ image: "postgres:17.11-alpine", source: "https://example.com/pg", eol: "2029-11-08" }],
    };
    const [row] = outdatedReport([entryOf(raw)], "2026-11-29");
    expect(row!.images).toEqual(["redis:8.10.2-alpine", "example/demo:2.4.1", "postgres:17.11-alpine"]);
    expect(row!.sidecars).toEqual([
      { image: "redis:8.10.2-alpine", source: null, eol: null, note: null },
      { image: "postgres:17.11-alpine", source: "https://example.com/pg", eol: "2029-11-08", note: null },
    ]);
  });
});

describe("update policy", () => {
  const at = (policy: string, version = "2.4.1") => {
    const raw = good();
    raw.update_policy = policy;
    raw.version = version;
    raw.compose = raw.compose.replace("example/demo:2.4.1", `example/demo:${version}`);
    return entryOf(raw);
  };

  test("the same version is always fine (the update re-applies the compose file)", () => {
    for (const policy of ["any", "same-major", "dump-first", "never"]) {
      expect(updateRefusal(at(policy), "2.4.1")).toBeUndefined();
    }
  });

  test("same-major: a minor step goes ahead, a major step is refused with the upgrade notes", () => {
    expect(updateRefusal(at("same-major", "2.9.0"), "2.4.1")).toBeUndefined();
    const reason = updateRefusal(at("same-major", "3.0.0"), "2.4.1");
    expect(reason).toBe(
      "Demo 2.4.1 → 3.0.0 crosses a major version, which Demo does not migrate in place. Back up first.",
    );
  });

  test("dump-first and never refuse any version change; any allows it", () => {
    expect(updateRefusal(at("dump-first", "2.4.2"), "2.4.1")).toContain(
      "cannot open data written by another version",
    );
    expect(updateRefusal(at("never", "2.4.2"), "2.4.1")).toContain("cannot be updated in place");
    expect(updateRefusal(at("any", "9.0.0"), "2.4.1")).toBeUndefined();
  });
});
