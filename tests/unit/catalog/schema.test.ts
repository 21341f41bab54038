/** The catalog schema rejects entries that could not be deployed safely — with a readable first issue. */
import { describe, expect, test } from "bun:test";
import { stringify } from "yaml";
import { appUrl } from "../../../src/features/apps/app-url.ts";
import { deployVariables, entryUrl } from "../../../src/features/catalog/compose.ts";
import { imageTagProblem, isUnpinnedImage } from "../../../src/features/catalog/compose-policy.ts";
import { parseCatalogFile } from "../../../src/features/catalog/entry-rules.ts";

type Entry = Record<string, unknown> & {
  ports: Record<string, unknown>[];
  env: Record<string, unknown>[];
};

const COMPOSE = `services:
  app:
    image: ghcr.io/example/app:1.2.3
    environment:
      PASSWORD: \${DB_PASSWORD}
      GREETING: \${GREETING:-hello}
    ports:
      - "8080:8080"
      - "53:53/udp"
    volumes:
      - app-data:/data
      - ./config:/config
  db:
    image: postgres:17.5-alpine
    environment:
      POSTGRES_PASSWORD: \${DB_PASSWORD}
volumes:
  app-data:
`;

function valid(): Entry {
  return {
    id: "example",
    name: "Example",
    version: "1.2.3",
    description: "An example app.",
    category: "tools",
    tags: ["example"],
    icon: "https://example.com/icon.svg",
    website: "https://example.com",
    os_template: "alpine-3.22",
    min: { cores: 1, memory_mb: 256, disk_gb: 2 },
    ports: [
      { name: "http", container: 8080, protocol: "tcp", primary: true },
      { name: "dns", container: 53, protocol: "udp" },
    ],
    env: [
      { name: "DB_PASSWORD", description: "db password", secret: true, generate: "password" },
      { name: "GREETING", description: "greeting", default: "hi" },
    ],
    compose: COMPOSE,
    healthcheck: { port: 8080, first_boot: { path: "/health", expect: 200 }, later: { path: "/health" } },
    pin: { verified: "2026-11-29", source: "https://example.com/releases" },
    update_policy: "same-major",
    upgrade: "Back up first.",
  };
}

function check(entry: unknown, fileId = "example") {
  return parseCatalogFile(stringify(entry), fileId);
}

/** `mutate` of the entry makes it refused, with a reason that contains `expected`. */
function expectRefused(entry: Entry, mutate: (e: Entry) => void, expected: string, fileId?: string) {
  mutate(entry);
  const result = check(entry, fileId);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.issues.join("\n")).toContain(expected);
}

const withCompose = (compose: string) => (e: Entry) => {
  e.compose = compose;
};
const replaceInCompose = (from: string, to: string) => (e: Entry) => {
  e.compose = (e.compose as string).replace(from, to);
};

const cases: [name: string, mutate: (e: Entry) => void, expected: string, fileId?: string][] = [
  [
    "missing primary port",
    (e) => (e.ports[0]!.primary = false),
    "exactly one port must be primary (found 0)",
  ],
  ["two primary ports", (e) => (e.ports[1]!.primary = true), "exactly one port must be primary (found 2)"],
  [
    "undeclared ${VAR}",
    replaceInCompose("GREETING: ${GREETING:-hello}", "GREETING: ${GREETING:-hello} ${NOPE}"),
    "uses ${NOPE}, which is not declared in env",
  ],
  [
    "undeclared variable nested in a default",
    replaceInCompose("${GREETING:-hello}", "${GREETING:-${OTHER}}"),
    "uses ${OTHER}",
  ],
  [
    "image without tag",
    replaceInCompose("ghcr.io/example/app:1.2.3", "ghcr.io/example/app"),
    "has no explicit tag",
  ],
  [
    "image with a registry port but no tag",
    replaceInCompose("ghcr.io/example/app:1.2.3", "reg:5000/app"),
    "no explicit tag",
  ],
  ["image tagged latest", replaceInCompose("postgres:17.5-alpine", "postgres:latest"), 'not "latest"'],
  [
    "image from a variable",
    replaceInCompose("postgres:17.5-alpine", "postgres:${GREETING}"),
    "must not use variables",
  ],
  ["unknown top-level key", (e) => (e.homepage = "https://example.com"), "unknown field: homepage"],
  ["unknown nested key", (e) => (e.ports[0]!.host = 80), "unknown field: host"],
  ["unknown env key", (e) => (e.env[0]!.kind = "string"), "unknown field: kind"],
  ["bad id (upper case)", (e) => (e.id = "Example"), "id: must be 2–40 characters", "Example"],
  ["bad id (trailing dash)", (e) => (e.id = "example-"), "id: must be", "example-"],
  ["id different from the file name", (e) => (e.id = "other"), 'does not match the file name "example"'],
  ["unknown category", (e) => (e.category = "games"), "category"],
  ["unknown os template", (e) => (e.os_template = "ubuntu-24.04"), "os_template"],
  [
    "health check on an undeclared port",
    (e) => (e.healthcheck = { port: 9999, first_boot: { path: "/" }, later: { path: "/" } }),
    "healthcheck.port",
  ],
  [
    "health check on a UDP port",
    (e) => (e.healthcheck = { port: 53, first_boot: { path: "/" }, later: { path: "/" } }),
    "healthcheck.port",
  ],
  [
    "primary UDP port",
    (e) => {
      e.ports[0]!.primary = false;
      e.ports[1]!.primary = true;
    },
    "primary port must be TCP",
  ],
  ["duplicate port name", (e) => (e.ports[1]!.name = "http"), "duplicate port name http"],
  ["compose that is not YAML", withCompose("services: [unclosed"), "compose is not valid YAML"],
  ["compose without services", withCompose("volumes:\n  x:\n"), "non-empty `services` map"],
  [
    "service without image",
    replaceInCompose("    image: postgres:17.5-alpine\n", ""),
    "service db: needs an image",
  ],
  ["build instead of image", replaceInCompose("  db:\n", "  db:\n    build: .\n"), "build is not supported"],
  [
    "privileged service",
    replaceInCompose("  db:\n", "  db:\n    privileged: true\n"),
    "privileged is not allowed",
  ],
  ["pid: host", replaceInCompose("  db:\n", "  db:\n    pid: host\n"), "pid: host is not allowed"],
  [
    "bind mount outside ./",
    replaceInCompose("./config:/config", "/etc:/config"),
    'bind mount "/etc" is outside ./',
  ],
  ["bind mount escaping ./", replaceInCompose("./config:/config", "./../x:/config"), "must stay under ./"],
  [
    "undeclared named volume",
    replaceInCompose("app-data:/data", "other:/data"),
    'named volume "other" is not declared',
  ],
  [
    "host port different from container port",
    replaceInCompose('"8080:8080"', '"80:8080"'),
    "must equal the container port",
  ],
  ["port range", replaceInCompose('"8080:8080"', '"8080-8081:8080-8081"'), "no ranges"],
  [
    "published but undeclared port",
    replaceInCompose('"53:53/udp"', '"53:53/udp"\n      - "9000:9000"'),
    "publishes 9000/tcp",
  ],
  [
    "declared but unpublished port",
    replaceInCompose('      - "53:53/udp"\n', ""),
    "port 53/udp is not published",
  ],
  ["declared env not used", (e) => e.env.push({ name: "UNUSED", description: "x" }), "UNUSED is not used"],
  ["duplicate env", (e) => e.env.push({ ...e.env[1]! }), "duplicate env GREETING"],
  [
    "generated value with a default",
    (e) => (e.env[0]!.default = "x"),
    "a generated value cannot have a default",
  ],
  ["generated value marked required", (e) => (e.env[0]!.required = true), "cannot be required"],
  [
    "secret with a default",
    (e) => Object.assign(e.env[1]!, { secret: true }),
    "a secret cannot have a default",
  ],
  ["lower-case env name", (e) => (e.env[1]!.name = "greeting"), "must match [A-Z_][A-Z0-9_]*"],
  ["unknown generator", (e) => (e.env[0]!.generate = "base64"), "generate"],
  ["non-http icon", (e) => (e.icon = "javascript:alert(1)"), "icon: must be an http(s) URL"],
  ["zero cores", (e) => (e.min = { cores: 0, memory_mb: 256, disk_gb: 2 }), "min.cores"],
  [
    "healthcheck path without /",
    (e) => (e.healthcheck = { port: 8080, first_boot: { path: "health" }, later: { path: "health" } }),
    "must start with /",
  ],
  [
    "network_mode bridge name",
    replaceInCompose("  db:\n", "  db:\n    network_mode: bridge\n"),
    "network_mode must be",
  ],
];

describe("the schema accepts a valid entry", () => {
  test("valid example", () => {
    const result = check(valid());
    if (!result.ok) throw new Error(result.issues.join("; "));
    expect(result.entry.ports[0]!.protocol).toBe("tcp");
    expect(result.entry.env[1]!.required).toBe(false);
  });

  test("defaults: protocol tcp, primary false, tags/env empty, expect 200", () => {
    const e = valid();
    e.ports = [
      { name: "http", container: 8080, primary: true },
      { name: "dns", container: 53, protocol: "udp" },
    ];
    delete e.tags;
    e.healthcheck = { port: 8080, first_boot: { path: "/" }, later: { path: "/" } };
    const result = check(e);
    if (!result.ok) throw new Error(result.issues.join("; "));
    expect(result.entry.tags).toEqual([]);
    expect(result.entry.healthcheck!.first_boot.expect).toBe(200);
  });

  test("host networking needs no published ports", () => {
    const e = valid();
    e.version = "2025.6.3";
    e.ports = [{ name: "http", container: 8123, primary: true }];
    e.env = [{ name: "TZ", description: "tz", default: "Etc/UTC" }];
    e.healthcheck = { port: 8123, first_boot: { path: "/" }, later: { path: "/" } };
    e.compose =
      "services:\n  ha:\n    image: ghcr.io/home-assistant/home-assistant:2025.6.3\n    network_mode: host\n    environment:\n      TZ: ${TZ}\n";
    const result = check(e);
    if (!result.ok) throw new Error(result.issues.join("; "));
  });

  test("the Docker socket is the one allowed host path", () => {
    const e = valid();
    e.compose = COMPOSE.replace("./config:/config", "/var/run/docker.sock:/var/run/docker.sock");
    expect(check(e).ok).toBe(true);
  });

  test("`$$` is a literal dollar, not a variable", () => {
    const e = valid();
    e.compose = COMPOSE.replace(
      "GREETING: ${GREETING:-hello}",
      "GREETING: ${GREETING:-hello}\n      COST: $$5",
    );
    expect(check(e).ok).toBe(true);
  });
});

describe("the schema rejects", () => {
  for (const [name, mutate, expected, fileId] of cases) {
    test(name, () => expectRefused(valid(), mutate, expected, fileId));
  }

  test("a file that is not YAML", () => {
    const result = parseCatalogFile("id: [x", "x");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]).toStartWith("not valid YAML");
  });

  test("duplicate YAML keys", () => {
    const result = parseCatalogFile("id: example\nid: example\n", "example");
    expect(result.ok).toBe(false);
  });
});

describe("imageTagProblem", () => {
  test.each([
    ["postgres:17.5-alpine", undefined],
    ["ghcr.io/org/app:v1.0.0", undefined],
    ["localhost:5000/app:1", undefined],
    [`redis@sha256:${"a".repeat(64)}`, undefined],
    ["localhost:5000/app", "no explicit tag"],
    ["app", "no explicit tag"],
    ["app:latest", "latest"],
    ["app:", "invalid tag"],
  ] as const)("%s", (image: string, problem: string | undefined) => {
    const got = imageTagProblem(image);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });
});

describe("tags that move: a branch, a channel or an architecture, alone or joined", () => {
  // Tags seen in the real stores (motioneye's master-amd64) and their siblings: each names no release.
  const moving = [
    "latest",
    "amd64",
    "master-amd64",
    "main-arm64",
    "dev-amd64",
    "nightly",
    "edge",
    "stable",
    "main",
    "master",
    "staging",
    "release",
    "latest-arm64v8",
    "arm64-latest",
    "develop_x86_64",
    "Nightly",
  ];
  // Versions and builds: a number or a commit in the tag names one image, whatever words surround it.
  const pinned = [
    "2.1-amd64",
    "v1.2.3",
    "1.0",
    "0.4.19-nightly",
    "0.3.10-develop",
    "nightly-2.0.0.548",
    "release-2.59.0",
    "master-b69fc2e",
    "main-6c76cab",
    "v0.21.2-beta",
    "RELEASE.2025-06-13T11-33-47Z",
    "lts-jdk17",
    "alpine3.22",
    "stable-20240101",
    "mainline1",
    "developer",
  ];
  test.each(moving)("%s is unpinned, and a catalog file may not use it", (tag) => {
    expect(isUnpinnedImage(`example/app:${tag}`)).toBe(true);
    expect(imageTagProblem(`example/app:${tag}`)).toBe(
      `image "example/app:${tag}" must pin a version, not "${tag}"`,
    );
  });
  test.each(pinned)("%s is a pinned version", (tag) => {
    expect(isUnpinnedImage(`example/app:${tag}`)).toBe(false);
    expect(imageTagProblem(`example/app:${tag}`)).toBeUndefined();
  });
});

describe("runtimes", () => {
  /** The example reduced to one service with a named volume: what the oci runtime can run. */
  function single(): Entry {
    const e = valid();
    e.ports = [{ name: "http", container: 8080, protocol: "tcp", primary: true }];
    e.env = [
      { name: "DB_PASSWORD", description: "db password", secret: true, generate: "password" },
      { name: "GREETING", description: "greeting", default: "hi" },
    ];
    e.compose = `services:
  app:
    image: ghcr.io/example/app:1.2.3
    restart: unless-stopped
    environment:
      PASSWORD: \${DB_PASSWORD}
      GREETING: \${GREETING:-hello}
    ports:
      - "8080:8080"
    volumes:
      - app-data:/data
volumes:
  app-data:
`;
    e.runtimes = ["docker", "oci"];
    return e;
  }

  test("default to docker only", () => {
    const result = check(valid());
    if (!result.ok) throw new Error(result.issues.join("; "));
    expect(result.entry.runtimes).toEqual(["docker"]);
  });

  test("a single-service entry may offer oci", () => {
    const result = check(single());
    if (!result.ok) throw new Error(result.issues.join("; "));
    expect(result.entry.runtimes).toEqual(["docker", "oci"]);
  });

  test.each([
    ["two services", (e: Entry) => (e.compose = COMPOSE), "oci needs exactly one compose service (found 2)"],
    [
      "a bind mount",
      (e: Entry) => (e.compose = (e.compose as string).replace("app-data:/data", "./data:/data")),
      "oci mounts only named volumes",
    ],
    [
      "a key the oci runtime cannot carry",
      (e: Entry) =>
        (e.compose = (e.compose as string).replace("restart: unless-stopped", "command: [serve]")),
      `oci cannot run service app's "command"`,
    ],
    [
      "a digest",
      (e: Entry) =>
        (e.compose = (e.compose as string).replace(
          "ghcr.io/example/app:1.2.3",
          `ghcr.io/example/app:1.2.3@sha256:${"a".repeat(64)}`,
        )),
      "PVE refuses a digest",
    ],
    ["a runtime listed twice", (e: Entry) => (e.runtimes = ["oci", "oci"]), "duplicate runtimes"],
    ["an unknown runtime", (e: Entry) => (e.runtimes = ["podman"]), "runtimes.0"],
    ["no runtime", (e: Entry) => (e.runtimes = []), "runtimes"],
  ])("oci refuses %s", (_name, mutate, expected) => expectRefused(single(), mutate, expected));
});

describe("entries without a web interface (web: false)", () => {
  /** The example as a daemon: no web port, no HTTP health check. */
  function daemon(): Entry {
    const e = valid();
    e.web = false;
    e.ports = [
      { name: "api", container: 8080, protocol: "tcp" },
      { name: "dns", container: 53, protocol: "udp" },
    ];
    delete e.healthcheck;
    return e;
  }

  test("validate without a primary port or health check, and get no URL, Open link or web port", () => {
    const result = check(daemon());
    if (!result.ok) throw new Error(result.issues.join("; "));
    expect(result.entry.web).toBe(false);
    expect(entryUrl(result.entry, "10.0.0.5")).toBeNull();
    expect(appUrl(result.entry, "10.0.0.5")).toBeNull();
    // `.env` gets the address and hostname; a URL and a web port it does not have are not written at all.
    expect(deployVariables(result.entry, { address: "10.0.0.5", hostname: "dns1" })).toEqual({
      APP_ADDRESS: "10.0.0.5",
      APP_HOSTNAME: "dns1",
    });
  });

  test("may publish no port at all", () => {
    const e = daemon();
    e.ports = [];
    e.compose = COMPOSE.replace('    ports:\n      - "8080:8080"\n      - "53:53/udp"\n', "");
    const result = check(e);
    if (!result.ok) throw new Error(result.issues.join("; "));
    expect(result.entry.ports).toEqual([]);
  });

  test.each<[string, (e: Entry) => void, string]>([
    ["a primary port", (e) => (e.ports[0]!.primary = true), "has no primary port"],
    [
      "an HTTP health check",
      (e) => (e.healthcheck = { port: 8080, first_boot: { path: "/" }, later: { path: "/" } }),
      "has no HTTP health check",
    ],
    ["an HTTPS name", (e) => (e.exposure = { env: { GREETING: "{url}" } }), "cannot be exposed"],
    [
      "the app URL in its compose file",
      (e) => (e.compose = COMPOSE.replace("${GREETING:-hello}", "${APP_URL}")),
      "uses ${APP_URL}, which an app without a web interface does not have",
    ],
  ])("refuse %s", (_, mutate, expected) => expectRefused(daemon(), mutate, expected));

  test("an entry with a web interface (the default) still needs its health check and primary port", () => {
    expectRefused(valid(), (e) => delete e.healthcheck, "needs a health check (or say web: false)");
  });
});
