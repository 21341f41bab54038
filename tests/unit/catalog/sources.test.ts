/**
 * Third-party stores: each format's fixture store (tests/fixtures/stores/<format>) is read and translated;
 * every app is imported with the mappings a user relies on, or refused with the reason; hostile archives and
 * URLs are refused without touching anything.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import { answered } from "../../../src/features/apps/health.ts";
import { healthRequestSchema } from "../../../src/features/catalog/catalog.schemas.ts";
import { entryUrl } from "../../../src/features/catalog/compose.ts";
import {
  archiveUrl,
  checkUrl,
  DEFAULT_LIMITS,
  readDirectory,
  readTarGz,
  SourceError,
} from "../../../src/features/catalog/sources/archive.ts";
import { isFixedSecret, isSecretKey } from "../../../src/features/catalog/sources/credentials.ts";
import { detectFormat, importStore } from "../../../src/features/catalog/sources/import.ts";
import { rewriteVars } from "../../../src/features/catalog/sources/vars.ts";
import { parseStoreYaml } from "../../../src/features/catalog/sources/yaml.ts";
import { gzip, streamOf, tar, tarGzOfDir } from "../../helpers/tar.ts";

const FIXTURES = join(import.meta.dir, "../../fixtures/stores");

async function load(format: "runtipi" | "casaos" | "umbrel") {
  const files = await readDirectory(join(FIXTURES, format));
  expect(detectFormat(files)).toBe(format);
  const result = importStore(files, format, format);
  const byId = new Map(result.entries.map((e) => [e.id.split("/")[1]!, e]));
  return { result, byId };
}

/**
 * A Runtipi store of one app built in memory: `apps/<id>/config.json` (amd64 unless `config` says otherwise),
 * its docker-compose.json with `services`, and any `more` files of the app's directory.
 */
function runtipiStore(
  id: string,
  config: Record<string, unknown>,
  services: Record<string, unknown>[],
  more: Record<string, string> = {},
): Map<string, Uint8Array> {
  const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
  return new Map([
    [`apps/${id}/config.json`, enc({ supported_architectures: ["amd64"], ...config })],
    [`apps/${id}/docker-compose.json`, enc({ schemaVersion: 2, services })],
    ...Object.entries(more).map(([path, text]) => [`apps/${id}/${path}`, enc(text)] as [string, Uint8Array]),
  ]);
}

/** One CasaOS app's compose document: its one service `svc`, named after the app, published on its first port. */
function casaosApp(app: string, svc: Record<string, unknown>, architectures = ["amd64"]): string {
  const name = app.toLowerCase().replace(/_/g, "-");
  const ports = Array.isArray(svc.ports) ? svc.ports : [];
  const portMap = String(ports[0] ?? "").split(":")[0];
  return stringifyYaml({
    name,
    services: { [name]: svc },
    "x-casaos": {
      architectures,
      main: name,
      category: "Media",
      title: { en_US: app },
      description: { en_US: `${app} from a test store.` },
      port_map: portMap,
    },
  });
}

/** A CasaOS store in memory: `Apps/<dir>/docker-compose.yml` per app. */
function casaosFiles(apps: Record<string, string>): Map<string, Uint8Array> {
  return new Map(
    Object.entries(apps).map(([dir, text]) => [
      `Apps/${dir}/docker-compose.yml`,
      new TextEncoder().encode(text),
    ]),
  );
}

/** The app `id` of the format's fixture store, which must be imported. */
async function imported(format: "runtipi" | "casaos" | "umbrel", id: string) {
  const app = (await load(format)).byId.get(id)!;
  expect(app.status).toBe("imported");
  return app;
}

describe("Runtipi", () => {
  test("the dynamic compose: settings, generated secrets, volumes, ports and store variables are mapped", async () => {
    const notepad = await imported("runtipi", "notepad");
    const entry = notepad.entry!;
    expect(entry.id).toBe("runtipi/notepad");
    expect(entry.version).toBe("2.4.1");
    expect(entry.description).toBe("A tiny shared notepad. alert(1)");
    const env = new Map(entry.env.map((e) => [e.name, e]));
    expect(env.get("NOTEPAD_PASSWORD")).toMatchObject({ secret: true, required: true });
    expect(env.get("NOTEPAD_SECRET")).toMatchObject({ secret: true, generate: "hex32" });
    expect(env.get("NOTEPAD_SIGNUPS")).toMatchObject({ type: "boolean", default: "false" });
    expect(env.get("NOTEPAD_THEME")).toMatchObject({ pattern: "light|dark", default: "light" });
    expect(env.get("TZ")?.default).toBe("Etc/UTC");
    // An optional setting without a default is left out of the compose file rather than set empty.
    expect(env.has("NOTEPAD_SMTP")).toBe(false);
    expect(entry.compose).not.toContain("SMTP_HOST");
    expect(entry.compose).toContain("PUBLIC_URL: http://${APP_HOSTNAME}");
    for (const word of ["APP_DATA_DIR", "APP_DOMAIN", "APP_PROTOCOL", "/etc/localtime", "tipi_main_network"])
      expect(entry.compose).not.toContain(word);
    expect(entry.compose).toContain("- data:/data");
    expect(entry.compose).toContain("- data-db:/var/lib/postgresql/data");
    expect(entry.ports).toEqual([
      { name: "http", container: 3000, protocol: "tcp", primary: true },
      { name: "udp-5353", container: 5353, protocol: "udp", primary: false },
    ]);
    // A database beside the app raises the memory minimum.
    expect(entry.min.memory_mb).toBeGreaterThanOrEqual(1024);
    expect(notepad.icon?.ext).toBe("png");
    expect(notepad.reasons.join(" ")).toContain("/etc/localtime is not mounted");
  });

  test("x-runtipi YAML and the static format are read; one service qualifies for oci", async () => {
    const { byId } = await load("runtipi");
    expect(byId.get("kvstore")!.entry?.runtimes).toEqual(["docker", "oci"]);
    // Runtipi's logos are mostly JPEG: taken when the signature says so.
    expect(byId.get("kvstore")!.icon?.ext).toBe("jpg");
    const wiki = byId.get("legacy-wiki")!;
    expect(wiki.status).toBe("imported");
    expect(wiki.entry!.ports[0]).toMatchObject({ container: 4000, primary: true });
    expect(wiki.entry!.compose).not.toContain("traefik");
    expect(wiki.entry!.compose).toContain("shared-data-books:/books");
  });

  test("a main service without internalPort marked no_gui is an app without a web interface", async () => {
    const dyndns = await imported("runtipi", "dyndns");
    const entry = dyndns.entry!;
    expect(entry).toMatchObject({ web: false, ports: [] });
    expect(entry.healthcheck).toBeUndefined();
    // The store's own health check stays: Proximity waits for it after a deploy.
    expect(entry.compose).toContain("healthcheck:");
    expect(entry.compose).toContain("test -f /state/last-update");
    expect(entry.env.find((e) => e.name === "DYNDNS_DOMAIN")?.default).toBe("home.example.org");
    // A health check in the compose file has no equivalent in an application container.
    expect(entry.runtimes).toEqual(["docker"]);
  });

  test("an architecture alone as the tag is unpinned: the store's version is shown, not the tag", () => {
    const store = (version: string) =>
      runtipiStore("davsrv", { name: "Dav server", version, port: 8140 }, [
        { name: "davsrv", image: "example/davsrv:amd64", isMain: true, internalPort: 80 },
      ]);
    const [app] = importStore(store("3.2.0"), "s", "runtipi").entries;
    expect(app!.status).toBe("imported");
    expect(app!.entry!.unpinned_images).toEqual(["example/davsrv:amd64"]);
    expect(app!.entry!.version).toBe("3.2.0");
    expect(app!.reasons).toEqual(["image not pinned (example/davsrv:amd64): Proximity cannot offer updates"]);
    // With no version from the store either, the entry says "latest" rather than "amd64".
    const [bare] = importStore(store(""), "s", "runtipi").entries;
    expect(bare!.entry!.version).toBe("latest");
  });

  test("a branch with an architecture as the tag (motioneye's master-amd64) is unpinned, not a version", () => {
    const store = runtipiStore("eyecam", { name: "Eye cam", version: "0.43.1", port: 8141 }, [
      { name: "eyecam", image: "example/eyecam:master-amd64", isMain: true, internalPort: 8765 },
    ]);
    const [app] = importStore(store, "s", "runtipi").entries;
    expect(app!.status).toBe("imported");
    expect(app!.entry!.unpinned_images).toEqual(["example/eyecam:master-amd64"]);
    expect(app!.entry!.version).toBe("0.43.1");
    expect(app!.reasons).toEqual([
      "image not pinned (example/eyecam:master-amd64): Proximity cannot offer updates",
    ]);
  });

  test("internalPort ${APP_PORT} is the manifest's port, which the app reads back from APP_PORT", () => {
    const files = runtipiStore("torrents", { name: "Torrents", version: "5.1.0", port: 8133 }, [
      {
        name: "torrents",
        image: "example/torrents:5.1.0",
        isMain: true,
        internalPort: "${APP_PORT}",
        environment: [{ key: "WEBUI_PORT", value: "${APP_PORT}" }],
      },
    ]);
    const [imported] = importStore(files, "s", "runtipi").entries;
    expect(imported!.status).toBe("imported");
    expect(imported!.entry!.ports).toEqual([
      { name: "http", container: 8133, protocol: "tcp", primary: true },
    ]);
    expect(imported!.entry!.healthcheck?.port).toBe(8133);
    expect(imported!.entry!.compose).toContain("WEBUI_PORT: ${APP_PORT}");
  });

  test("internalPort read from a setting with a default: the port is the default, the setting is fixed at it", () => {
    const store = (internalPort: string) =>
      runtipiStore(
        "filesrv",
        {
          name: "File server",
          version: "2.7.5",
          port: 8002,
          form_fields: [
            { type: "number", label: "Binding port", env_variable: "FILESRV_PORT" },
            { type: "text", label: "Admin", env_variable: "FILESRV_ADMIN", required: true },
          ],
        },
        [
          {
            name: "filesrv",
            image: "example/filesrv:2.7.5",
            isMain: true,
            internalPort,
            addPorts: [{ hostPort: 2022, containerPort: 2022 }],
            environment: [
              { key: "HTTP_PORT", value: "${FILESRV_PORT-8080}" },
              { key: "ADMIN", value: "${FILESRV_ADMIN}" },
            ],
            healthCheck: { test: "wget -q --spider http://localhost:${FILESRV_PORT:-8080}/healthz" },
          },
        ],
      );
    const [imported] = importStore(store("${FILESRV_PORT-8080}"), "s", "runtipi").entries;
    expect(imported!.status).toBe("imported");
    const entry = imported!.entry!;
    expect(entry.ports).toEqual([
      { name: "http", container: 8080, protocol: "tcp", primary: true },
      { name: "tcp-2022", container: 2022, protocol: "tcp", primary: false },
    ]);
    expect(entry.healthcheck?.port).toBe(8080);
    // The app listens where Proximity publishes, checks and opens: the user is not asked for another port.
    expect(entry.env.map((e) => e.name)).toEqual(["FILESRV_ADMIN"]);
    expect(entry.compose).toContain('HTTP_PORT: "8080"');
    expect(entry.compose).toContain("http://localhost:8080/healthz");
    expect(entry.compose).not.toContain("FILESRV_PORT");
    expect(imported!.reasons.join(" ")).toContain("setting FILESRV_PORT, fixed here at its default 8080");
    // Without a default the port is not guessed.
    const [refused] = importStore(store("${FILESRV_PORT}"), "s", "runtipi").entries;
    expect(refused!.status).toBe("refused");
    expect(refused!.reasons[0]).toContain("has no internalPort");
  });

  test("without internalPort and without no_gui, the web port is not guessed: refused", () => {
    const files = runtipiStore("mystery", { name: "Mystery", version: "1.0.0", port: 8400 }, [
      { name: "mystery", image: "example/mystery:1.0.0", isMain: true },
    ]);
    const [entry] = importStore(files, "s", "runtipi").entries;
    expect(entry).toMatchObject({ status: "refused" });
    expect(entry!.reasons[0]).toContain("has no internalPort and the store does not mark it no_gui");
  });

  test("refusals name their reason", async () => {
    const { byId } = await load("runtipi");
    expect(byId.get("armonly")).toMatchObject({
      status: "refused",
      reasons: ["does not run on amd64 (only arm64)"],
    });
    expect(byId.get("rootly")!.reasons.join(" ")).toContain("bind-mounts the host path /");
    // A template that names a variable the app never gets, or ships a password every install shares.
    expect(byId.get("tpl-unknown")).toMatchObject({
      status: "refused",
      reasons: ["its template conf.yml uses {{TPL_UNKNOWN_SERVER}}, which the app does not provide"],
    });
    expect(byId.get("tpl-fixed")).toMatchObject({ status: "refused" });
    expect(byId.get("tpl-fixed")!.reasons.join(" ")).toContain("users.yml ships a fixed password");
  });

  test("a template the store fills in at install becomes a template file of the entry, its variables mapped", async () => {
    const templated = await imported("runtipi", "templated");
    // `data/app.yml.template` is mounted as `data/app.yml`: the file, marked as a template; APP_DOMAIN is
    // Proximity's APP_HOSTNAME, the store's password field a secret setting of the entry.
    expect(templated.entry!.files).toEqual([
      {
        volume: "files-config",
        path: "app.yml",
        content: 'admin_password: "{{TEMPLATED_PASSWORD}}"\nexternal_url: "http://{{APP_HOSTNAME}}"\n',
        encoding: "utf-8",
        mode: "0644",
        owner: "1000:1000",
        template: true,
      },
    ]);
    expect(templated.entry!.env).toMatchObject([
      { name: "TEMPLATED_PASSWORD", required: true, secret: true },
    ]);
    expect(templated.entry!.compose).toContain("files-config:/config");
  });

  test("a template placeholder whose setting is optional without a default is refused (never written empty)", () => {
    const files = runtipiStore(
      "hole",
      {
        name: "Hole",
        version: "1.0.0",
        port: 8400,
        form_fields: [{ type: "text", label: "Peer", env_variable: "HOLE_PEER", required: false }],
      },
      [
        {
          name: "hole",
          image: "example/hole:1.0.0",
          isMain: true,
          internalPort: 8080,
          volumes: [{ hostPath: "${APP_DATA_DIR}/data", containerPath: "/data" }],
        },
      ],
      { "data/peer.yml.template": "peer: {{HOLE_PEER}}\n" },
    );
    const [entry] = importStore(files, "s", "runtipi").entries;
    expect(entry).toMatchObject({ status: "refused" });
    expect(entry!.reasons.join(" ")).toContain("uses {{HOLE_PEER}}, an optional setting without a default");
  });

  test("files the store ships into the data directory become files of the entry, written into its volumes", async () => {
    const seeded = await imported("runtipi", "seeded");
    const entry = seeded.entry!;
    // The seeded directory is a volume with the store's files in it (the .gitkeep placeholder is no file);
    // the single file mounted inside it is that volume's file, not a second mount.
    expect(entry.compose).toContain("- data-config:/config");
    expect(entry.compose).not.toContain("settings.yml");
    // A single file mounted elsewhere gets a volume at its directory, which the app owns.
    expect(entry.compose).toContain("- files-etc-nginx-conf-d:/etc/nginx/conf.d");
    expect(entry.files.map((f) => `${f.volume}/${f.path} ${f.encoding} ${f.mode} ${f.owner}`)).toEqual([
      "data-config/seed.db base64 0644 1000:1000",
      "data-config/settings.yml utf-8 0644 1000:1000",
      "files-etc-nginx-conf-d/site.conf utf-8 0644 1000:1000",
    ]);
    expect(entry.files[1]!.content).toBe("key: value\n");
    // A binary file travels as base64 and comes back byte for byte.
    expect([...Buffer.from(entry.files[0]!.content, "base64").subarray(-4)]).toEqual([
      0x01, 0x02, 0xff, 0xfe,
    ]);
    // Files go into compose volumes: an application container (oci) has none.
    expect(entry.runtimes).toEqual(["docker"]);
    expect(seeded.reasons.join(" ")).toContain("written into the volume files-etc-nginx-conf-d");
  });

  test("the dynamic compose's devices: a GPU alone is dropped with a note, USB beside it refuses the app", () => {
    const app = (devices: string[]) =>
      importStore(
        runtipiStore("tuber", { name: "Tuber", version: "2.1.0" }, [
          { name: "tuber", image: "example/tuber:2.1.0", isMain: true, internalPort: 8080, devices },
        ]),
        "t",
        "runtipi",
      ).entries[0]!;
    const gpu = app(["/dev/dri"]);
    expect(gpu.status).toBe("imported");
    expect(gpu.entry!.compose).not.toContain("/dev/dri");
    expect(gpu.reasons).toContain(
      "Hardware transcoding is off: Proximity does not pass the host's GPU into an app's container (/dev/dri not passed); Tuber transcodes on the CPU",
    );
    expect(app(["/dev/dri", "/dev/bus/usb:/dev/bus/usb"]).reasons).toEqual([
      "service tuber: passes the host device /dev/bus/usb into its container (devices), which an app's container never gets",
    ]);
  });

  test("images without a version import with a note; the rest of the policy still refuses", async () => {
    const { byId } = await load("runtipi");
    const rolling = byId.get("rolling")!;
    expect(rolling.status).toBe("imported");
    expect(rolling.entry!.unpinned_images).toEqual(["example/rolling:latest", "redis"]);
    // The store's version names the release (the image's tag says nothing), even beside a pinned sidecar.
    expect(rolling.entry!.version).toBe("2.0.0");
    expect(rolling.entry!.compose).toContain("image: postgres:17.11-alpine");
    // A secret used with a store fallback (`${X:-''}`) gets no default: a secret never has one.
    expect(rolling.entry!.env.find((e) => e.name === "ROLLING_ADMIN_PASSWORD")).toMatchObject({
      secret: true,
    });
    expect(rolling.entry!.env.find((e) => e.name === "ROLLING_ADMIN_PASSWORD")?.default).toBeUndefined();
    expect(rolling.reasons).toEqual([
      "image not pinned (example/rolling:latest): Proximity cannot offer updates",
      "image not pinned (redis): Proximity cannot offer updates",
    ]);
    // An unpinned image is no excuse for the rest: privileged stays refused, with the policy's words.
    expect(byId.get("rolling-priv")).toMatchObject({
      status: "refused",
      reasons: ["compose: service rolling-priv: privileged is not allowed"],
    });
    // A pinned entry lists none.
    expect(byId.get("notepad")!.entry!.unpinned_images).toEqual([]);
  });
});

describe("CasaOS", () => {
  test("x-casaos: English texts, port_map, $AppID data paths, shared media and PUID/PGID/TZ", async () => {
    const { byId } = await load("casaos");
    const paste = byId.get("pastebin")!;
    expect(paste.status).toBe("imported");
    const entry = paste.entry!;
    expect(entry.name).toBe("Pastebin");
    expect(entry.description).toBe("Share text snippets on your network.");
    expect(entry.ports).toEqual([{ name: "http", container: 7000, protocol: "tcp", primary: true }]);
    expect(entry.compose).toContain("7000:7000");
    expect(entry.compose).toContain("- pastes:/pastes");
    expect(entry.compose).not.toContain("/DATA");
    expect(entry.compose).not.toContain("AppID");
    const env = new Map(entry.env.map((e) => [e.name, e.default]));
    expect(env.get("PUID")).toBe("1000");
    expect(env.get("PASTE_TITLE")).toBe("My pastes");
    const media = byId.get("mediabox")!;
    expect(media.entry!.compose).toContain("shared-media:/media");
    // The manifest's memory reservation (1536M) plus the Docker daemon's share.
    expect(media.entry!.min.memory_mb).toBe(1792);
    expect(media.entry!.compose).not.toContain("deploy");
    expect(media.entry!.ports.map((p) => `${p.container}/${p.protocol}`)).toEqual(["8096/tcp", "1900/udp"]);
  });

  test("scheme: https is an https main port: its URL, health check and proxy use https", async () => {
    const { byId } = await load("casaos");
    const notes = byId.get("securenotes")!;
    expect(notes.status).toBe("imported");
    expect(notes.entry!.ports).toEqual([
      { name: "https", container: 8443, protocol: "tcp", primary: true, scheme: "https" },
    ]);
    expect(entryUrl(notes.entry!, "10.0.0.7")).toBe("https://10.0.0.7:8443");
    expect(notes.entry!.healthcheck).toMatchObject({ port: 8443, first_boot: { path: "/login" } });
    expect(notes.reasons.join(" ")).toContain("answers HTTPS only");
    // An entry without a scheme stays http.
    expect(entryUrl(byId.get("pastebin")!.entry!, "10.0.0.8")).toBe("http://10.0.0.8:7000");
  });

  test("port_map published by another service than main: that service is the web interface; its config ships", async () => {
    const front = await imported("casaos", "webfront");
    const entry = front.entry!;
    expect(entry.ports).toEqual([{ name: "http", container: 80, protocol: "tcp", primary: true }]);
    expect(entry.compose).toContain("80:80");
    expect(front.reasons.join(" ")).toContain("its web interface is the service front");
    // The compose file's inline config becomes a file written into a volume over its directory.
    expect(entry.files).toEqual([
      expect.objectContaining({
        volume: "files-etc-nginx-conf-d",
        path: "default.conf",
        content: expect.stringContaining("proxy_pass http://app:3000"),
      }),
    ]);
    expect(entry.compose).toContain("files-etc-nginx-conf-d:/etc/nginx/conf.d");
    expect(entry.compose).not.toContain("configs");
    // The app's image is pinned by its digest alone: the store's version stands (the sidecar's tag is not it).
    expect(entry.version).toBe("1.2.0");
  });

  test("a host's storage folders become the app's own volumes; system paths stay refused", async () => {
    const { byId } = await load("casaos");
    const share = byId.get("diskshare")!;
    expect(share.status).toBe("imported");
    expect(share.entry!.compose).toContain("storage-media-zimaos-hd-media:/media");
    expect(share.entry!.compose).toContain("storage-mnt:/mnt:ro");
    expect(share.entry!.compose).not.toContain("ZimaOS-HD/");
    expect(share.reasons.join(" ")).toContain(
      "the host folder /media/ZimaOS-HD/Media becomes the app's own volume storage-media-zimaos-hd-media",
    );
    // /srv is a storage folder too, but Docker's own data and a way out of /media are not.
    const peek = byId.get("hostpeek")!;
    expect(peek.status).toBe("refused");
    expect(peek.reasons).toEqual([
      "service hostpeek: bind-mounts the host path /var/lib/docker, which has no place in an app's container",
      "service hostpeek: bind-mounts the host path /media/../etc, which has no place in an app's container",
    ]);
  });

  test("devices that are only the host's GPU are dropped with a note; the app is imported without them", async () => {
    const box = await imported("casaos", "gpubox");
    // /dev/dri, /dev/dri/renderD128 and the long syntax's /dev/dri/card0: none reaches the compose file.
    expect(box.entry!.compose).not.toContain("devices");
    expect(box.entry!.compose).not.toContain("/dev/");
    expect(box.reasons).toContain(
      "Hardware transcoding is off: Proximity does not pass the host's GPU into an app's container (/dev/dri, /dev/dri/renderD128, /dev/dri/card0 not passed); GPU Box transcodes on the CPU",
    );
    expect(box.entry!.compose).toContain("- config:/config");
  });

  test("a GPU beside any other device: refused, the reason names the other device", async () => {
    const { byId } = await load("casaos");
    const serial = byId.get("gpuserial")!;
    expect(serial.status).toBe("refused");
    expect(serial.reasons).toEqual([
      "service gpuserial: passes the host device /dev/ttyUSB0 into its container (devices), which an app's container never gets",
    ]);
  });

  test("the Raspberry Pi's VideoCore (its devices and /opt/vc/lib) is dropped like a GPU; a webcam is not", () => {
    const jelly = casaosApp("Jelly", {
      image: "example/jelly:10.11.0",
      devices: [
        "/dev/dri:/dev/dri",
        "/dev/vcsm:/dev/vcsm",
        "/dev/vchiq:/dev/vchiq",
        "/dev/video10:/dev/video10",
      ],
      volumes: [
        { type: "bind", source: "/opt/vc/lib", target: "/opt/vc/lib" },
        "/DATA/AppData/$AppID/config:/config",
      ],
      ports: ["8096:8096"],
    });
    const cam = casaosApp("Cam", {
      image: "example/cam:1.0.0",
      devices: ["/dev/video0:/dev/video0"],
      ports: ["8096:8096"],
    });
    const { entries } = importStore(casaosFiles({ Jelly: jelly, Cam: cam }), "c", "casaos");
    const [camEntry, jellyEntry] = entries;
    expect(jellyEntry!.status).toBe("imported");
    expect(jellyEntry!.entry!.compose).not.toContain("/dev/");
    expect(jellyEntry!.entry!.compose).not.toContain("/opt/vc");
    expect(jellyEntry!.reasons).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          "(/dev/dri, /dev/vcsm, /dev/vchiq, /dev/video10 not passed); Jelly transcodes on the CPU",
        ),
        "service jelly: /opt/vc/lib, the Raspberry Pi's video libraries, is not mounted (its GPU is not passed in)",
      ]),
    );
    expect(camEntry!.reasons).toEqual([
      "service cam: passes the host device /dev/video0 into its container (devices), which an app's container never gets",
    ]);
    // An app for the Raspberry Pi alone is still refused: its VideoCore is the point, and amd64 is not offered.
    const piOnly = casaosApp(
      "Jelly",
      { image: "example/jelly:10.11.0", devices: ["/dev/vchiq"], ports: ["8096:8096"] },
      ["arm64"],
    );
    expect(importStore(casaosFiles({ Jelly: piOnly }), "c", "casaos").entries[0]!.reasons).toEqual([
      "does not run on amd64 (only arm64)",
    ]);
  });

  test("a TV tuner is dropped with a note for a media library server only; a tuner server keeps its refusal", () => {
    const plex = casaosApp("Plex", {
      image: "lscr.io/linuxserver/plex:1.43.2",
      devices: ["/dev/dri:/dev/dri", "/dev/dvb:/dev/dvb"],
      ports: ["32400:32400"],
    });
    const tvh = casaosApp("Tvh", {
      image: "lscr.io/linuxserver/tvheadend:4.3",
      devices: ["/dev/dvb:/dev/dvb"],
      ports: ["9981:9981"],
    });
    const emby = casaosApp("Emby", {
      image: "emby/embyserver:4.9.1.80",
      devices: ["/dev/dvb/adapter0/frontend0", "/dev/ttyUSB0"],
      ports: ["8096:8096"],
    });
    const byId = new Map(
      importStore(casaosFiles({ Plex: plex, Tvh: tvh, Emby: emby }), "c", "casaos").entries.map((e) => [
        e.id.replace(/^c\//, ""),
        e,
      ]),
    );
    const plexEntry = byId.get("plex")!;
    expect(plexEntry.status).toBe("imported");
    expect(plexEntry.entry!.compose).not.toContain("/dev/");
    expect(plexEntry.reasons).toEqual(
      expect.arrayContaining([
        "Live TV from a tuner is off: Proximity does not pass the host's TV tuner into an app's container (/dev/dvb not passed); Plex plays its library without it",
        expect.stringContaining("(/dev/dri not passed); Plex transcodes on the CPU"),
      ]),
    );
    // Tvheadend's tuner is the point of the app: refused, named.
    expect(byId.get("tvh")!.reasons).toEqual([
      "service tvh: passes the host device /dev/dvb into its container (devices), which an app's container never gets",
    ]);
    // A library server's tuner beside another device: the other device still refuses it.
    expect(byId.get("emby")!.status).toBe("refused");
    expect(byId.get("emby")!.reasons).toEqual([
      "service emby: passes the host device /dev/ttyUSB0 into its container (devices), which an app's container never gets",
    ]);
  });

  test("an NVIDIA GPU request is dropped only when the store runs the app without one; otherwise refused", () => {
    const gpu = {
      resources: { reservations: { devices: [{ driver: "nvidia", count: "all", capabilities: ["gpu"] }] } },
    };
    const files = casaosFiles({
      // The store's CPU variant runs the same image: its GPU variant runs without the GPU too.
      Llm: casaosApp("Llm", { image: "example/llm:0.24.0", ports: ["11434:11434"] }),
      Llm_Nvidia: casaosApp("Llm_Nvidia", {
        image: "example/llm:0.9.5",
        deploy: gpu,
        ports: ["11434:11434"],
      }),
      // The store marks the GPU variant as falling back to the CPU.
      Tube_Nvidia: casaosApp("Tube_Nvidia", {
        image: "example/tube:4.9.1",
        runtime: "nvidia",
        environment: { CPU_FALLBACK: "true" },
        ports: ["8096:8096"],
      }),
      // Nothing says it runs without the GPU (model training): refused with the reason.
      Trainer_Nvidia: casaosApp("Trainer_Nvidia", {
        image: "example/trainer:0.9.4",
        deploy: gpu,
        ports: ["7860:7860"],
      }),
    });
    const byId = new Map(importStore(files, "c", "casaos").entries.map((e) => [e.id, e]));
    const llm = byId.get("c/llm-nvidia")!;
    expect(llm.status).toBe("imported");
    expect(llm.reasons).toContain(
      "GPU acceleration is off: Proximity does not pass the host's NVIDIA GPU into an app's container; Llm_Nvidia runs on the CPU",
    );
    expect(llm.entry!.compose).not.toContain("deploy");
    expect(llm.entry!.compose).not.toContain("driver");
    const tube = byId.get("c/tube-nvidia")!;
    expect(tube.status).toBe("imported");
    expect(tube.entry!.compose).not.toContain("runtime");
    expect(byId.get("c/trainer-nvidia")).toMatchObject({
      status: "refused",
      reasons: [
        "service trainer-nvidia: reserves an NVIDIA GPU (deploy.resources.reservations.devices), which Proximity does not pass into an app's container, and the store does not say it runs without one",
      ],
    });
  });

  test("an empty port_map is an app without a web interface: imported with its port, no web port", async () => {
    const headless = await imported("casaos", "headless");
    const entry = headless.entry!;
    expect(entry.web).toBe(false);
    expect(entry.healthcheck).toBeUndefined();
    // Its client port is published and checked over TCP; none of its ports is the web port.
    expect(entry.ports).toEqual([{ name: "tcp-6390", container: 6390, protocol: "tcp", primary: false }]);
    expect(entry.compose).toContain("6390:6390");
    expect(headless.reasons.join(" ")).toContain("has no web interface");
  });
});

describe("Umbrel", () => {
  test("app_proxy names the service and port and is not deployed; secrets are generated per install", async () => {
    const { byId } = await load("umbrel");
    const frame = byId.get("photo-frame")!;
    expect(frame.status).toBe("imported");
    const entry = frame.entry!;
    expect(entry.compose).not.toContain("app_proxy");
    expect(entry.compose).toContain("3000:3000");
    expect(entry.healthcheck!.first_boot.path).toBe("/slideshow");
    const env = new Map(entry.env.map((e) => [e.name, e]));
    expect(env.get("APP_PASSWORD")).toMatchObject({ secret: true, generate: "password" });
    expect(env.get("APP_PHOTO_FRAME_SECRET")).toMatchObject({ secret: true, generate: "hex32" });
    expect(entry.compose).toContain('FRAME_API_PORT: "3001"');
    expect(entry.compose).toContain("shared-downloads:/downloads");
    for (const word of ["APP_DATA_DIR", "UMBREL_ROOT", "DEVICE_DOMAIN_NAME"])
      expect(entry.compose).not.toContain(word);
    // APP_HOST given as an exported IP finds the service that has that address.
    const notes = byId.get("notes-app")!;
    expect(notes.status).toBe("imported");
    expect(notes.entry!.compose).not.toContain("ipv4_address");
    expect(notes.entry!.compose).toMatch(/web:[\s\S]*80:80/);
  });

  test("a dependency on another Umbrel app and a single-file mount are refused with the reason", async () => {
    const { byId } = await load("umbrel");
    expect(byId.get("lightning-tips")!.reasons).toContain("needs the Umbrel app lightning");
    // A file the store does not ship has nothing to write; a volume at / would hide the whole image.
    expect(byId.get("config-file")!.reasons).toEqual([
      "service app: mounts the single file ${APP_DATA_DIR}/settings.json, which the store does not ship (a volume cannot stand in for a file)",
    ]);
    expect(byId.get("root-script")!.reasons).toEqual([
      "service app: mounts the single file ${APP_DATA_DIR}/entrypoint.sh at /entrypoint.sh: a volume at its directory would hide files there (/ holds the image's own files)",
    ]);
  });

  test("a GPU render node is dropped with a note; /dev/net/tun beside it refuses the app", () => {
    const store = (devices: string[]) =>
      new Map(
        Object.entries({
          "viewer/umbrel-app.yml":
            "manifestVersion: 1\nid: viewer\nname: Viewer\nversion: 3.0.0\ncategory: media\nport: 8700\n",
          "viewer/docker-compose.yml": stringifyYaml({
            version: "3.7",
            services: {
              app_proxy: { environment: { APP_HOST: "viewer_web_1", APP_PORT: 8080 } },
              web: { image: "example/viewer:3.0.0", devices },
            },
          }),
        }).map(([path, text]) => [path, new TextEncoder().encode(text)]),
      );
    const gpu = importStore(store(["/dev/dri/renderD128:/dev/dri/renderD128"]), "u", "umbrel").entries[0]!;
    expect(gpu.status).toBe("imported");
    expect(gpu.entry!.compose).not.toContain("/dev/");
    expect(gpu.reasons).toContain(
      "Hardware transcoding is off: Proximity does not pass the host's GPU into an app's container (/dev/dri/renderD128 not passed); Viewer transcodes on the CPU",
    );
    const tun = importStore(store(["/dev/dri/renderD128", "/dev/net/tun"]), "u", "umbrel").entries[0]!;
    expect(tun.reasons).toEqual([
      "service web: passes the host device /dev/net/tun into its container (devices), which an app's container never gets",
    ]);
  });

  test("the app directory's files (a page, a web server configuration) ship with the entry", async () => {
    const page = await imported("umbrel", "welcome-page");
    expect(page.entry!.compose).toContain("- data-www:/usr/share/nginx/html:ro");
    expect(page.entry!.compose).toContain("- files-etc-nginx-conf-d:/etc/nginx/conf.d");
    expect(page.entry!.files.map((f) => `${f.volume}/${f.path}`)).toEqual([
      "data-www/index.html",
      "files-etc-nginx-conf-d/default.conf",
    ]);
  });
});

describe("archives", () => {
  test("a forge archive (one top directory) reads like the directory", async () => {
    const bytes = await tarGzOfDir(join(FIXTURES, "umbrel"), "umbrel-fixture-main");
    const files = await readTarGz(streamOf(bytes));
    expect(detectFormat(files)).toBe("umbrel");
    expect(files.has("photo-frame/umbrel-app.yml")).toBe(true);
  });

  test.each([
    ["../escape/config.json", "out of its directory"],
    ["/etc/config.json", "absolute path"],
    ["top/a/../../config.json", "out of its directory"],
  ])("a path like %s refuses the archive", async (path, why) => {
    const bytes = await gzip(tar([{ path, body: "{}" }]));
    await expect(readTarGz(streamOf(bytes))).rejects.toThrow(why);
  });

  test("links are never kept or followed", async () => {
    const bytes = await gzip(
      tar([
        { path: "top/apps/x/config.json", type: "2", link: "/etc/passwd" },
        { path: "top/apps/y/config.json", type: "1", link: "../../etc/passwd" },
        { path: "top/README.md", body: "hi" },
      ]),
    );
    const files = await readTarGz(streamOf(bytes));
    expect([...files.keys()]).toEqual(["README.md"]);
  });

  test("the unpacked size, entry count and download size are bounded", async () => {
    const big = await gzip(tar([{ path: "top/blob.bin", body: new Uint8Array(4 * 1024 * 1024) }]));
    expect(big.length).toBeLessThan(64 * 1024); // a small download that unpacks large
    await expect(readTarGz(streamOf(big), { ...DEFAULT_LIMITS, unpackedBytes: 1024 * 1024 })).rejects.toThrow(
      "unpacks to more than",
    );
    const many = await gzip(tar(Array.from({ length: 50 }, (_, i) => ({ path: `top/f${i}`, body: "x" }))));
    await expect(readTarGz(streamOf(many), { ...DEFAULT_LIMITS, entries: 10 })).rejects.toThrow(
      "more than 10 entries",
    );
    await expect(readTarGz(streamOf(big), { ...DEFAULT_LIMITS, downloadBytes: 1024 })).rejects.toThrow(
      "larger than",
    );
    await expect(readTarGz(streamOf(new TextEncoder().encode("not gzip at all")))).rejects.toThrow(
      SourceError,
    );
  });

  test("reading stops at the end of the archive: the rest of the download is not read", async () => {
    // The tar's end blocks, then 2 MiB more (random bytes: they do not compress) in the same gzip stream.
    const junk = crypto.getRandomValues(new Uint8Array(65536));
    const tail = new Uint8Array(2 * 1024 * 1024);
    for (let i = 0; i < tail.length; i += junk.length) tail.set(junk.subarray(0, tail.length - i), i);
    const head = tar([{ path: "top/apps/x/config.json", body: "{}" }]);
    const whole = new Uint8Array(head.length + tail.length);
    whole.set(head);
    whole.set(tail, head.length);
    const bytes = await gzip(whole);
    let sent = 0;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(sent, sent + 16 * 1024));
        sent += 16 * 1024;
      },
      cancel() {
        cancelled = true;
      },
    });
    const files = await readTarGz(stream);
    expect([...files.keys()]).toEqual(["apps/x/config.json"]);
    expect(cancelled).toBe(true);
    expect(sent).toBeLessThan(bytes.length / 2);
  });

  test("a damaged gzip stream is refused with the reason", async () => {
    const bytes = await gzip(tar([{ path: "top/apps/x/config.json", body: "{}" }]));
    await expect(readTarGz(streamOf(bytes.subarray(0, bytes.length - 20)))).rejects.toThrow(SourceError);
    const flipped = bytes.slice();
    flipped[20] = flipped[20]! ^ 0xff;
    await expect(readTarGz(streamOf(flipped))).rejects.toThrow(SourceError);
  });

  test("YAML alias bombs, deep nesting and huge strings are refused", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x]",
      ...Array.from({ length: 9 }, (_, i) => {
        const prev = i === 0 ? "a" : `b${i - 1}`;
        return `b${i}: &b${i} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`;
      }),
    ].join("\n");
    expect(() => parseStoreYaml(bomb, "compose")).toThrow();
    expect(() => parseStoreYaml(`${"[".repeat(100)}${"]".repeat(100)}`, "compose")).toThrow("nested deeper");
    expect(() => parseStoreYaml(`a: "${"x".repeat(70_000)}"`, "compose")).toThrow("string longer");
  });

  test("a logo larger than 8 KiB, or not a PNG/JPEG by its signature, is not taken", async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const big = new Uint8Array(9 * 1024);
    big.set(png);
    const app = (id: string) => [
      {
        path: `top/apps/${id}/config.json`,
        body: JSON.stringify({
          name: id,
          version: "1.0.0",
          categories: [],
          description: "x",
          supported_architectures: ["amd64"],
        }),
      },
      {
        path: `top/apps/${id}/docker-compose.json`,
        body: JSON.stringify({
          schemaVersion: 2,
          services: [{ name: id, image: `example/${id}:1.0.0`, isMain: true, internalPort: 80 }],
        }),
      },
    ];
    const files = await readTarGz(
      streamOf(
        await gzip(
          tar([
            ...app("big"),
            { path: "top/apps/big/metadata/logo.png", body: big },
            ...app("fake"),
            { path: "top/apps/fake/metadata/logo.png", body: "<svg onload=alert(1)>" },
            ...app("small"),
            { path: "top/apps/small/metadata/logo.png", body: png },
          ]),
        ),
      ),
    );
    const icons = Object.fromEntries(
      importStore(files, "s", "runtipi").entries.map((e) => [e.id, e.icon?.ext]),
    );
    expect(icons).toEqual({ "s/big": undefined, "s/fake": undefined, "s/small": "png" });
  });

  test("a directory source is a store's directory: not the root, /proc, /sys or /dev", async () => {
    for (const dir of ["/", "/proc", "/sys/kernel", "/dev"]) {
      await expect(readDirectory(dir)).rejects.toThrow(SourceError);
    }
  });

  test("one unreadable app is refused, the others still import", async () => {
    const bytes = await gzip(
      tar([
        { path: "top/apps/broken/config.json", body: "{ not json" },
        {
          path: "top/apps/fine/config.json",
          body: JSON.stringify({
            name: "Fine",
            version: "1.0.0",
            categories: [],
            description: "ok",
            supported_architectures: ["amd64"],
          }),
        },
        {
          path: "top/apps/fine/docker-compose.json",
          body: JSON.stringify({
            schemaVersion: 2,
            services: [{ name: "fine", image: "example/fine:1.0.0", isMain: true, internalPort: 80 }],
          }),
        },
      ]),
    );
    const files = await readTarGz(streamOf(bytes));
    const { entries } = importStore(files, "s", "runtipi");
    expect(entries.map((e) => [e.id, e.status])).toEqual([
      ["s/broken", "refused"],
      ["s/fine", "imported"],
    ]);
    expect(entries[0]!.reasons[0]).toContain("config.json is not valid JSON");
  });
});

describe("URLs", () => {
  test.each([
    [
      "https://github.com/runtipi/runtipi-appstore",
      "https://codeload.github.com/runtipi/runtipi-appstore/tar.gz/HEAD",
    ],
    ["https://github.com/o/r/tree/dev", "https://codeload.github.com/o/r/tar.gz/refs/heads/dev"],
    ["https://codeberg.org/o/store.git", "https://codeberg.org/o/store/archive/main.tar.gz"],
    ["https://git.example.org/o/r/src/branch/next", "https://git.example.org/o/r/archive/next.tar.gz"],
    [
      "https://gitlab.com/group/sub/store",
      "https://gitlab.com/group/sub/store/-/archive/HEAD/store-HEAD.tar.gz",
    ],
    ["https://example.org/dl/store.tar.gz", "https://example.org/dl/store.tar.gz"],
  ])("the repository URL %s is fetched as %s", (url, archive) => {
    expect(archiveUrl(url).href).toBe(archive);
  });

  test("a URL that is not http(s) is refused", () => {
    expect(() => archiveUrl("ftp://example.org/x.tar.gz")).toThrow("http(s)");
  });

  test.each([
    "http://169.254.169.254/latest/meta-data",
    "http://[fe80::1]/x.tar.gz",
    "http://metadata.google.internal/x",
    "http://[::ffff:169.254.169.254]/x",
  ])("%s is refused", async (url) => {
    await expect(checkUrl(new URL(url))).rejects.toThrow(SourceError);
  });
});

test("rewriting variables keeps references, $$ and operators", () => {
  const out = rewriteVars("a=$$HOME ${APP_DOMAIN} ${X:-${Y}} $Z", (u) =>
    u.name === "APP_DOMAIN" ? "${APP_HOSTNAME}" : `\${${u.name.toLowerCase()}${u.op}${u.rest}}`,
  );
  expect(out).toBe("a=$$HOME ${APP_HOSTNAME} ${x:-${y}} ${z}");
});

describe("health of imported entries", () => {
  test("any answer below 500 is healthy (expect 0), a server error is not", async () => {
    const { byId } = await load("umbrel");
    expect(byId.get("photo-frame")!.entry!.healthcheck!.first_boot).toEqual({
      path: "/slideshow",
      expect: 0,
    });
    expect(answered(302, 0)).toBe(true);
    expect(answered(200, 0)).toBe(true);
    expect(answered(503, 0)).toBe(false);
    expect(answered(302, 200)).toBe(false);
    expect(healthRequestSchema.safeParse({ path: "/", expect: 50 }).success).toBe(false);
    expect(healthRequestSchema.safeParse({ path: "/", expect: 0 }).success).toBe(true);
  });
});

describe("fixed credentials", () => {
  const envOf = (app: Awaited<ReturnType<typeof imported>>) =>
    new Map(app.entry!.env.map((e) => [e.name, e]));
  const composeOf = (app: Awaited<ReturnType<typeof imported>>) =>
    parseStoreYaml(app.entry!.compose, "compose") as {
      services: Record<
        string,
        { environment?: Record<string, string>; command?: unknown; healthcheck?: unknown }
      >;
    };

  test("Runtipi: a database password shared by two services and a URL becomes one generated secret", async () => {
    const app = await imported("runtipi", "wikidb");
    const env = envOf(app);
    expect(env.get("DB_PASSWORD")).toMatchObject({ secret: true, generate: "password", required: false });
    expect(env.get("DB_PASSWORD")?.default).toBeUndefined();
    const { services } = composeOf(app);
    expect(services.wikidb?.environment).toMatchObject({
      DB_USER: "wiki",
      DB_PASSWORD: "${DB_PASSWORD}",
      DATABASE_URL: "postgres://wiki:${DB_PASSWORD}@wikidb-db:5432/wiki",
      // A setting whose store default is a fixed password is generated; its fallback is not written.
      ADMIN_PASSWORD: "${WIKI_ADMIN_PASSWORD}",
      // Secret-like names that hold no secret stay as they are.
      SESSION_KEY_PATH: "/data/session.key",
      PASSWORD_MIN_LENGTH: "8",
    });
    expect(services["wikidb-db"]?.environment).toMatchObject({ POSTGRES_PASSWORD: "${DB_PASSWORD}" });
    expect(env.get("WIKI_ADMIN_PASSWORD")).toMatchObject({ secret: true, generate: "password" });
    expect(app.entry!.compose).not.toMatch(/\btipi\b|changeme/);
    expect(app.reasons).toContain(
      "DB_PASSWORD: the store's fixed credential (wikidb DB_PASSWORD, wikidb DATABASE_URL, wikidb-db POSTGRES_PASSWORD) is replaced by one generated at install; Reveal credentials on the app's page shows it",
    );
  });

  test("CasaOS: a login password is generated, the user name that happens to be the same text stays", async () => {
    const app = await imported("casaos", "davshare");
    expect(envOf(app).get("PASSWORD")).toMatchObject({ secret: true, generate: "password" });
    expect(composeOf(app).services.davshare?.environment).toEqual({
      USERNAME: "casaos",
      PASSWORD: "${PASSWORD}",
      AUTH_TOKEN_FILE: "/run/secrets/token",
      READ_ONLY_KEY: "false",
    });
  });

  test("CasaOS: a fixed password also written in a shipped file refuses the app with the reason", async () => {
    const app = (await load("casaos")).byId.get("mongonotes")!;
    expect(app).toMatchObject({
      status: "refused",
      reasons: [
        "its fixed credential MONGO_PASS is also written in the file init-mongo.js, where it cannot be replaced by a generated one (a public default credential is never imported)",
      ],
    });
  });

  test("Umbrel: the password in a command line and a health check follows; user names stay", async () => {
    const app = await imported("umbrel", "ledger");
    const { services } = composeOf(app);
    expect(services.web?.environment).toMatchObject({
      DATABASE_URL: "postgresql://ledger:${POSTGRES_PASSWORD}@ledger_db_1:5432/ledger",
      POSTGRES_PASSWORD: "${POSTGRES_PASSWORD}",
      REDIS_PASSWORD: "${POSTGRES_PASSWORD}",
      ADMIN_PASSWORD: "${ADMIN_PASSWORD}",
    });
    expect(services.cache?.command).toBe("redis-server --requirepass ${POSTGRES_PASSWORD}");
    expect(services.cache?.healthcheck).toEqual({
      test: ["CMD", "redis-cli", "-a", "${POSTGRES_PASSWORD}", "ping"],
    });
    expect(services.db?.healthcheck).toEqual({ test: ["CMD-SHELL", "pg_isready -U ledger"] });
    expect(app.entry!.compose).not.toMatch(/moneyprintergobrrr|: umbrel\b/);
    expect([...envOf(app).keys()]).toEqual(["POSTGRES_PASSWORD", "ADMIN_PASSWORD", "SESSION_SECRET"]);
  });

  test("a shipped file's own fixed secret becomes a template of a generated setting; one with braces is refused", () => {
    const store = (conf: string) =>
      runtipiStore(
        "chirp",
        { name: "Chirp", version: "1.0.0", port: 8401 },
        [
          {
            name: "chirp",
            image: "example/chirp:1.0.0",
            isMain: true,
            internalPort: 8080,
            volumes: [{ hostPath: "${APP_DATA_DIR}/data/config", containerPath: "/config" }],
          },
        ],
        { "data/config/chirp.conf": conf },
      );
    const [fixed] = importStore(
      store(
        '[Config]\n# hmacKey = "secretkey"\nhmacKey = "secretkey"\ntokenCount = 10\napi_key_file = /config/key\nkey: value\n',
      ),
      "s",
      "runtipi",
    ).entries;
    expect(fixed!.status).toBe("imported");
    // Only the live line's value: a commented-out line, a count, a file path and a bare `key:` stay.
    expect(fixed!.entry!.files).toEqual([
      expect.objectContaining({
        path: "chirp.conf",
        template: true,
        content:
          '[Config]\n# hmacKey = "secretkey"\nhmacKey = "{{HMAC_KEY}}"\ntokenCount = 10\napi_key_file = /config/key\nkey: value\n',
      }),
    ]);
    expect(fixed!.entry!.env.find((e) => e.name === "HMAC_KEY")).toMatchObject({
      secret: true,
      generate: "password",
    });
    expect(fixed!.reasons).toContain(
      "the file chirp.conf: HMAC_KEY replaces the store's fixed hmacKey, generated at install and written into it at the first deploy (for its owner only); Reveal credentials on the app's page shows it",
    );
    const [braces] = importStore(
      store('hmacKey = "secretkey"\ngreeting = "{{name}}"\n'),
      "s",
      "runtipi",
    ).entries;
    expect(braces).toMatchObject({
      status: "refused",
      reasons: [
        "its file chirp.conf ships a fixed secret (hmacKey) and already uses {{…}}, so it cannot be filled in with a generated one (a public default credential is never imported)",
      ],
    });
  });

  test("which keys and values count as a fixed credential", () => {
    const secret = [
      "PASSWORD",
      "DB_PASSWD",
      "database__connection__password",
      "ADMINPASS",
      "PGPASSWORD",
      "NZBGET_PASS",
      "MINIO_SECRET_ACCESS_KEY",
      "SECRET_KEY_BASE",
      "APP_KEY",
      "AUTHENTICATION_APIKEY_ALLOWED_KEYS",
      "JWT_SECRET",
      "DUCKDNS_TOKEN",
    ];
    const notSecret = [
      "PASSWORD_FILE",
      "SECRETKEY_PATH",
      "CLOUDFLARED_TOKEN_FILE",
      "USER_PASSWORD_MIN_LENGTH",
      "REFRESH_TOKEN_EXPIRY",
      "OVERPASS_API_URL",
      "BYPASS",
      "CF_TURNSTILE_SITE_KEY",
      "JWT_PUBLIC_KEY",
      "MINIO_ACCESS_KEY_ID",
      "AUTHENTICATION_APIKEY_ENABLED",
    ];
    expect(secret.filter((k) => !isSecretKey(k))).toEqual([]);
    expect(notSecret.filter((k) => isSecretKey(k))).toEqual([]);
    const fixed = [
      "casaos",
      "moneyprintergobrrr",
      "postgres123!@#",
      "12345",
      "{KOILLECTION_DB_PASSWORD}",
      "a$$b",
    ];
    const notFixed = [
      "",
      "''",
      "${DB_PASSWORD}",
      "base64:${APP_KEY}",
      "yes",
      "true",
      "3",
      "/run/secrets/db",
      "./data/token",
      "%kernel.project_dir%/config/jwt/private.pem",
      "https://example.org",
      "user_provided",
      "1x0000000000000000000000000000000AA",
    ];
    expect(fixed.filter((v) => !isFixedSecret(v))).toEqual([]);
    expect(notFixed.filter((v) => isFixedSecret(v))).toEqual([]);
  });

  test("a long key keeps its shape: 32 characters stay 32 (Laravel), 64 hex stay 64 hex, a URL password stays URL-safe", () => {
    const compose = (env: Record<string, string>) => [
      {
        name: "app",
        image: "example/app:1.0.0",
        isMain: true,
        internalPort: 80,
        environment: Object.entries(env).map(([key, value]) => ({ key, value })),
      },
    ];
    const [entry] = importStore(
      runtipiStore(
        "keys",
        { name: "Keys", version: "1.0.0", port: 8400 },
        compose({
          APP_KEY: "SomeRandomStringOf32CharsExactly",
          CREDS_KEY: "f34be427ebb29de8d88c107a71546019685ed8b241d8f2ed00c3df97ad2566f0",
          NEXTAUTH_SECRET: "22PhaGVvvBTEC5E5G+U+5O1xqdmuzZKzjLeDMvdvB7I=",
          OPENAI_API_KEY: "user_provided",
          CF_TURNSTILE_SECRET_KEY: "1x0000000000000000000000000000000AA",
          MYSQL_RANDOM_ROOT_PASSWORD: "yes",
          LIMITER_GET_TOKEN: "3",
          DB_PASSWORD: "4Kq8s0UPv2hTSwKd1X5y9ZbCnR7mE3aLfJ6gHtWoQiA=",
          DATABASE_URL: "postgres://app:4Kq8s0UPv2hTSwKd1X5y9ZbCnR7mE3aLfJ6gHtWoQiA=@db:5432/app",
        }),
      ),
      "s",
      "runtipi",
    ).entries;
    expect(entry!.status).toBe("imported");
    const env = new Map(entry!.entry!.env.map((e) => [e.name, e.generate]));
    expect(Object.fromEntries(env)).toEqual({
      APP_KEY: "hex32",
      CREDS_KEY: "hex64",
      NEXTAUTH_SECRET: "base64_32",
      // Also in a URL: base64's `/`, `+` and `=` would break it.
      DB_PASSWORD: "hex64",
    });
    expect(entry!.entry!.compose).toContain("DATABASE_URL: postgres://app:${DB_PASSWORD}@db:5432/app");
  });
});
