/**
 * Every request the client can build is valid for PVE 8.4 (and the 9.1 additions the subset marks with
 * `_since`, for 9.x): each public method is called with
 * representative (maximal) inputs, the request is captured on the wire, and method + path + parameters
 * are checked against pve-api-subset.json.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ProxmoxClient } from "../../../src/proxmox/client.ts";
import { ENDPOINTS, validateRequest } from "./helpers/pve-schema.ts";
import { FAKE_UPID, startRecorder } from "./helpers/recorder.ts";

type Case = [method: keyof ProxmoxClient, call: (c: ProxmoxClient) => Promise<unknown>];

const N = "pve1";
const CASES: Case[] = [
  ["version", (c) => c.version()],
  ["listNodes", (c) => c.listNodes()],
  ["clusterStatus", (c) => c.clusterStatus()],
  ["clusterResources", (c) => c.clusterResources()],
  ["clusterResources", (c) => c.clusterResources("vm")],
  ["nextId", (c) => c.nextId()],
  ["nextId", (c) => c.nextId(123)],
  ["nodeStatus", (c) => c.nodeStatus(N)],
  ["nodeNetwork", (c) => c.nodeNetwork(N, "any_bridge")],
  [
    "listStorage",
    (c) =>
      c.listStorage(N, {
        content: "rootdir",
        enabled: true,
        storage: "local-lvm",
        target: "pve2",
        format: true,
      }),
  ],
  ["storageContent", (c) => c.storageContent(N, "local", "backup", 100)],
  ["storageContent", (c) => c.storageContent(N, "local")],
  [
    "volumeAttributes",
    (c) => c.volumeAttributes(N, "local", "local:backup/vzdump-lxc-100-2024_01_31-02_00_05.tar.zst"),
  ],
  [
    "deleteVolume",
    (c) =>
      c.deleteVolume(N, "local", "local:backup/vzdump-lxc-100-2024_01_31-02_00_05.tar.zst", { delay: 5 }),
  ],
  ["aplinfo", (c) => c.aplinfo(N)],
  ["permissions", (c) => c.permissions({ path: "/vms", userid: "proximity@pve!app" })],
  ["aptVersions", (c) => c.aptVersions(N)],
  ["downloadTemplate", (c) => c.downloadTemplate(N, "local", "debian-12-standard_12.7-1_amd64.tar.zst")],
  [
    "ociRegistryPull",
    (c) =>
      c.ociRegistryPull(N, "local", { reference: "docker.io/vaultwarden/server:1.37.2", filename: "vw" }),
  ],
  ["ociRegistryPull", (c) => c.ociRegistryPull(N, "local", { reference: "nginx:1.27-alpine" })],
  ["queryOciRepoTags", (c) => c.queryOciRepoTags(N, "ghcr.io:443/home-assistant/home-assistant")],
  ["listLxc", (c) => c.listLxc(N)],
  [
    "createLxc",
    (c) =>
      c.createLxc(N, {
        vmid: 101,
        ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        hostname: "app1.example.lan",
        password: "s3cret-'$(x)",
        sshPublicKeys: "ssh-ed25519 AAAAC3Nza me@host\nssh-rsa AAAAB3 you@host",
        storage: "local-lvm",
        rootfs: { storage: "local-lvm", sizeGb: 8, acl: true, mountoptions: ["noatime", "nodev"] },
        mp: { 0: { storage: "local-lvm", sizeGb: 4, mp: "/data", backup: true } },
        cores: 2,
        cpulimit: 1.5,
        cpuunits: 100,
        memory: 1024,
        swap: 512,
        net: {
          0: {
            name: "eth0",
            bridge: "vmbr0",
            ip: "dhcp",
            ip6: "auto",
            firewall: true,
            tag: 20,
            mtu: 1500,
            rate: 12.5,
            hostManaged: true,
          },
          1: {
            name: "eth1",
            bridge: "vmbr1",
            ip: "10.0.0.5/24",
            gw: "10.0.0.1",
            hwaddr: "BC:24:11:5E:2A:01",
            trunks: [10, 20],
            linkDown: false,
            type: "veth",
          },
        },
        nameserver: "1.1.1.1",
        searchdomain: "example.lan",
        features: {
          nesting: true,
          keyctl: false,
          fuse: false,
          mknod: false,
          forceRwSys: false,
          mount: ["nfs", "cifs"],
        },
        unprivileged: true,
        onboot: true,
        startup: { order: 2, up: 30, down: 60 },
        tags: ["proximity", "app1"],
        description: "Deployed by Proximity\nline two",
        ostype: "debian",
        arch: "amd64",
        timezone: "Europe/Paris",
        tty: 2,
        console: true,
        cmode: "tty",
        protection: false,
        template: false,
        start: false,
        pool: "apps",
        ignoreUnpackErrors: false,
        bwlimit: 0,
        entrypoint: "/usr/bin/dumb-init -- node server/server.js",
        env: { TZ: "Europe/Paris", MOTD: "tab\there", EMPTY: "" },
      }),
  ],
  [
    "createLxc",
    (c) =>
      c.createLxc(N, {
        vmid: 102,
        ostemplate: "local:backup/vzdump-lxc-100-2024_01_31-02_00_05.tar.zst",
        restore: true,
        force: true,
        unique: true,
        storage: "local-lvm",
      }),
  ],
  ["lxcConfig", (c) => c.lxcConfig(N, 100)],
  ["lxcConfig", (c) => c.lxcConfig(N, 100, { current: true, snapshot: "before_update" })],
  [
    "updateLxcConfig",
    (c) =>
      c.updateLxcConfig(N, 100, {
        cores: 4,
        memory: 2048,
        swap: 0,
        hostname: "renamed",
        net: { 0: { name: "eth0", bridge: "vmbr0", ip: "dhcp" } },
        rootfs: { volume: "local-lvm:vm-100-disk-0", size: "8G" },
        features: { nesting: true },
        tags: ["proximity"],
        onboot: false,
        description: "x",
        entrypoint: "/start.sh",
        env: { ROCKET_PORT: "8080" },
        delete: ["net1", "mp0"],
        revert: ["cores"],
        digest: "0123456789abcdef0123456789abcdef01234567",
      }),
  ],
  ["lxcStatus", (c) => c.lxcStatus(N, 100)],
  ["startLxc", (c) => c.startLxc(N, 100, { skiplock: false, debug: false })],
  ["shutdownLxc", (c) => c.shutdownLxc(N, 100, { timeout: 30, forceStop: true })],
  ["stopLxc", (c) => c.stopLxc(N, 100, { skiplock: false, overruleShutdown: true })],
  ["rebootLxc", (c) => c.rebootLxc(N, 100, { timeout: 30 })],
  ["deleteLxc", (c) => c.deleteLxc(N, 100, { purge: true, destroyUnreferencedDisks: true, force: true })],
  ["lxcInterfaces", (c) => c.lxcInterfaces(N, 100)],
  ["lxcRrddata", (c) => c.lxcRrddata(N, 100, "hour", "AVERAGE")],
  [
    "cloneLxc",
    (c) =>
      c.cloneLxc(N, 100, {
        newid: 105,
        hostname: "app1-clone",
        description: "clone",
        full: true,
        storage: "local-lvm",
        target: "pve2",
        snapname: "before_update",
        pool: "apps",
        bwlimit: 0,
      }),
  ],
  [
    "migrateLxc",
    (c) =>
      c.migrateLxc(N, 100, {
        target: "pve2",
        restart: true,
        online: false,
        timeout: 180,
        targetStorage: "local-lvm",
        bwlimit: 0,
      }),
  ],
  ["resizeLxc", (c) => c.resizeLxc(N, 100, "rootfs", "+2G", { digest: "abc" })],
  ["resizeLxc", (c) => c.resizeLxc(N, 100, "mp0", "10G")],
  ["reassignVolume", (c) => c.reassignVolume(N, 100, "mp0", { vmid: 101 })],
  ["reassignVolume", (c) => c.reassignVolume(N, 100, "mp1", { vmid: 101, volume: "mp0" })],
  ["listSnapshots", (c) => c.listSnapshots(N, 100)],
  ["createSnapshot", (c) => c.createSnapshot(N, 100, "before_update", "pre-update snapshot")],
  ["deleteSnapshot", (c) => c.deleteSnapshot(N, 100, "before_update", { force: true })],
  ["rollbackSnapshot", (c) => c.rollbackSnapshot(N, 100, "before_update", { start: true })],
  [
    "vzdump",
    (c) =>
      c.vzdump(N, {
        vmid: [100, 101],
        storage: "local",
        mode: "snapshot",
        compress: "zstd",
        zstd: 1,
        notesTemplate: "{{guestname}}",
        remove: true,
        pruneBackups: { keepLast: 3, keepDaily: 7, keepWeekly: 4 },
        protected: false,
        bwlimit: 0,
        ionice: 7,
        lockwait: 180,
        stopwait: 10,
        excludePath: ["/tmp/?*", "/var/cache/?*"],
        stdexcludes: true,
        quiet: false,
        notificationMode: "auto",
      }),
  ],
  ["vzdump", (c) => c.vzdump(N, { vmid: 100 })],
  ["taskStatus", (c) => c.taskStatus(N, FAKE_UPID)],
  ["taskLog", (c) => c.taskLog(N, FAKE_UPID, { start: 0, limit: 50 })],
  [
    "listTasks",
    (c) =>
      c.listTasks(N, {
        start: 0,
        limit: 50,
        vmid: 100,
        typefilter: "vzdump",
        userfilter: "root@pam",
        statusfilter: "ok,error",
        errors: false,
        since: 1700000000,
        until: 1800000000,
        source: "all",
      }),
  ],
  ["stopTask", (c) => c.stopTask(N, FAKE_UPID)],
];

let recorder: Awaited<ReturnType<typeof startRecorder>>;
beforeAll(async () => {
  recorder = await startRecorder();
});
afterAll(() => recorder.stop());

describe("conformance with pve-api-subset.json", () => {
  test("every public client method is covered by a case", () => {
    const methods = Object.getOwnPropertyNames(ProxmoxClient.prototype).filter((name) => {
      if (name === "constructor") return false;
      const descriptor = Object.getOwnPropertyDescriptor(ProxmoxClient.prototype, name);
      return typeof descriptor?.value === "function";
    });
    const publicMethods = methods.filter(
      (m) => !["ct", "lxcTask", "call", "data", "upid", "checkUpid"].includes(m),
    );
    const covered = new Set(CASES.map(([m]) => m));
    expect(publicMethods.filter((m) => !covered.has(m as keyof ProxmoxClient))).toEqual([]);
  });

  test("every request validates, and every endpoint of the subset is reached", async () => {
    // Ticket auth also exercises POST /access/ticket.
    const client = new ProxmoxClient({
      apiUrl: recorder.url,
      auth: { kind: "ticket", username: "root@pam", password: "pw" },
    });
    recorder.requests.length = 0;
    const failures: string[] = [];
    for (const [name, call] of CASES) {
      const before = recorder.requests.length;
      try {
        await call(client);
      } catch (err) {
        failures.push(`${name}: threw ${String(err)}`);
      }
      if (recorder.requests.length === before) failures.push(`${name}: sent no request`);
    }
    const reached = new Set<string>();
    for (const req of recorder.requests) {
      const { template, problems } = validateRequest(req);
      if (template) reached.add(template);
      for (const p of problems) failures.push(`${req.method} ${req.path}: ${p}`);
    }
    expect(failures).toEqual([]);
    const all = ENDPOINTS.map((e) => `${e.method} ${e.template}`);
    expect(all.filter((e) => !reached.has(e))).toEqual([]);
    expect(all.length).toBe(43);
  });

  test("the validator itself rejects what PVE rejects", () => {
    const bad = (method: string, path: string, body: string, query = "") =>
      validateRequest({
        method,
        path,
        query: new URLSearchParams(query),
        body,
        contentType: "application/x-www-form-urlencoded",
      }).problems;
    expect(bad("POST", "/nodes/pve1/lxc/100/status/start", "skiplock=true")).toEqual([
      `skiplock: type check ('boolean') failed - got "true"`,
    ]);
    expect(bad("POST", "/nodes/pve1/lxc", "vmid=101")).toEqual([
      "ostemplate: property is missing and it is not optional",
    ]);
    expect(bad("POST", "/nodes/pve1/lxc", "vmid=99&ostemplate=x")[0]).toContain("minimum value of 100");
    expect(bad("POST", "/nodes/pve1/lxc", "vmid=101&ostemplate=x&bogus=1")[0]).toContain(
      "not defined in schema",
    );
    expect(bad("POST", "/nodes/pve1/lxc", "vmid=101&ostemplate=x&net0=bridge%3Dvmbr0")[0]).toContain(
      "lacks required key 'name'",
    );
    expect(bad("DELETE", "/nodes/pve1/lxc/100", "purge=1")[0]).toContain("carries a body");
    expect(bad("GET", "/nodes/pve1/lxc/100/rrddata", "", "timeframe=minute")[0]).toContain("enumeration");
    expect(bad("PATCH", "/nodes", "")[0]).toContain("not in the subset");
  });
});
