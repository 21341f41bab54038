import { describe, expect, test } from "bun:test";
import {
  buildPath,
  encodeParams,
  formatEnv,
  formatFeatures,
  formatNet,
  formatPruneBackups,
  formatRootfs,
  parseEnv,
} from "../../../src/proxmox/encoding.ts";
import { assertOciReference, assertOciRepository, ociArchiveVolid } from "../../../src/proxmox/oci.ts";
import { createLxcParams, updateLxcConfigParams, vzdumpParams } from "../../../src/proxmox/params.ts";
import { normalizeFingerprint } from "../../../src/proxmox/tls.ts";
import type { CreateLxcParams } from "../../../src/proxmox/types.ts";

describe("encodeParams", () => {
  test("booleans as 1/0, numbers as decimals, arrays repeated, undefined absent", () => {
    const encoded = encodeParams({
      purge: true,
      force: false,
      vmid: 101,
      x: undefined,
      "exclude-path": ["/a", "/b"],
    });
    expect(encoded.toString()).toBe("purge=1&force=0&vmid=101&exclude-path=%2Fa&exclude-path=%2Fb");
  });

  test("refuses non-finite numbers", () => {
    expect(() => encodeParams({ cores: Number.NaN })).toThrow(/finite/);
  });
});

describe("buildPath", () => {
  test("URL-encodes every value, including UPIDs and volids", () => {
    expect(
      buildPath("/nodes/{node}/tasks/{upid}/status", {
        node: "pve1",
        upid: "UPID:pve1:0A:0B:0C:vzstart:100:root@pam!x:",
      }),
    ).toBe("/nodes/pve1/tasks/UPID%3Apve1%3A0A%3A0B%3A0C%3Avzstart%3A100%3Aroot%40pam!x%3A/status");
    expect(
      buildPath("/nodes/{node}/storage/{storage}/content/{volume}", {
        node: "n",
        storage: "local",
        volume: "local:backup/a b.tar",
      }),
    ).toBe("/nodes/n/storage/local/content/local%3Abackup%2Fa%20b.tar");
    expect(buildPath("/x/{node}", { node: "../etc" })).toBe("/x/..%2Fetc");
  });

  test("a missing placeholder is a programming error", () => {
    expect(() => buildPath("/nodes/{node}/lxc/{vmid}", { node: "pve" })).toThrow(/vmid/);
  });
});

describe("property strings", () => {
  test("net, features, rootfs, prune-backups", () => {
    expect(
      formatNet({ name: "eth0", bridge: "vmbr0", ip: "dhcp", firewall: true, tag: 20, trunks: [1, 2] }),
    ).toBe("name=eth0,bridge=vmbr0,ip=dhcp,firewall=1,tag=20,trunks=1;2");
    expect(formatNet({ name: "eth0", bridge: "vmbr0", ip: "10.0.0.5/24", gw: "10.0.0.1" })).toBe(
      "name=eth0,bridge=vmbr0,ip=10.0.0.5/24,gw=10.0.0.1",
    );
    expect(formatFeatures({ nesting: true, keyctl: false, mount: ["nfs", "cifs"] })).toBe(
      "nesting=1,keyctl=0,mount=nfs;cifs",
    );
    expect(formatRootfs({ storage: "local-lvm", sizeGb: 8 })).toBe("local-lvm:8");
    expect(formatRootfs({ volume: "local-lvm:vm-100-disk-0", size: "8G", acl: true })).toBe(
      "volume=local-lvm:vm-100-disk-0,size=8G,acl=1",
    );
    expect(formatPruneBackups({ keepLast: 3, keepDaily: 7 })).toBe("keep-last=3,keep-daily=7");
  });

  test("a value cannot inject another key", () => {
    expect(() => formatNet({ name: "eth0", bridge: "vmbr0,firewall=0" })).toThrow(/invalid value for bridge/);
    expect(() => formatNet({ name: "eth0", ip: "dhcp gw=1.2.3.4" })).toThrow(/invalid value/);
    expect(() => formatRootfs({ storage: "local=x", sizeGb: 8 })).toThrow(/invalid value/);
    expect(() => formatRootfs({ storage: "local-lvm", sizeGb: 0 })).toThrow(/sizeGb/);
  });
});

describe("typed params → PVE names", () => {
  const create: CreateLxcParams = {
    vmid: 101,
    ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
    hostname: "app1",
    unprivileged: true,
    features: { nesting: true },
    cores: 2,
    memory: 1024,
    swap: 512,
    rootfs: { storage: "local-lvm", sizeGb: 8 },
    net: { 0: { name: "eth0", bridge: "vmbr0", ip: "dhcp" } },
    sshPublicKeys: "ssh-ed25519 AAAA me\nssh-rsa BBBB you",
    onboot: true,
    tags: ["proximity", "app1"],
    start: false,
    password: "s3cret!",
  };

  test("createLxc maps every key explicitly", () => {
    expect(encodeParams(createLxcParams(create)).toString()).toBe(
      new URLSearchParams([
        ["vmid", "101"],
        ["ostemplate", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"],
        ["hostname", "app1"],
        ["cores", "2"],
        ["memory", "1024"],
        ["swap", "512"],
        ["net0", "name=eth0,bridge=vmbr0,ip=dhcp"],
        ["features", "nesting=1"],
        ["unprivileged", "1"],
        ["onboot", "1"],
        ["tags", "proximity;app1"],
        ["rootfs", "local-lvm:8"],
        ["password", "s3cret!"],
        ["ssh-public-keys", "ssh-ed25519 AAAA me\nssh-rsa BBBB you"],
        ["start", "0"],
      ]).toString(),
    );
  });

  test("properties outside the typed input never reach PVE", () => {
    const smuggled = {
      ...create,
      hookscript: "local:snippets/evil.sh",
      lxc: "raw",
      dev0: "/dev/kvm",
    } as CreateLxcParams;
    const keys = Object.keys(createLxcParams(smuggled));
    expect(keys).not.toContain("hookscript");
    expect(keys).not.toContain("lxc");
    expect(keys).not.toContain("dev0");
  });

  test("invalid vmids are refused before any request", () => {
    expect(() => createLxcParams({ ...create, vmid: 99 })).toThrow(/vmid/);
    expect(() => vzdumpParams({ vmid: [] })).toThrow(/at least one/);
  });

  test("update joins delete lists, vzdump joins vmids", () => {
    expect(updateLxcConfigParams({ memory: 2048, delete: ["net1", "mp0"] })).toMatchObject({
      memory: 2048,
      delete: "net1,mp0",
    });
    expect(vzdumpParams({ vmid: [100, 101], compress: "zstd", pruneBackups: { keepLast: 2 } })).toMatchObject(
      {
        vmid: "100,101",
        compress: "zstd",
        "prune-backups": "keep-last=2",
      },
    );
  });
});

describe("OCI (PVE 9.1+): env, entrypoint, host-managed, references, archive names", () => {
  const base: CreateLxcParams = { vmid: 300, ostemplate: "local:vztmpl/server_1.37.2.tar" };
  test("env is KEY=value joined by NUL, in order; parseEnv reads it back", () => {
    const env = { TZ: "Europe/Paris", EMPTY: "", EQ: "a=b", TAB: "x\ty" };
    const text = formatEnv(env);
    expect(text).toBe("TZ=Europe/Paris\0EMPTY=\0EQ=a=b\0TAB=x\ty");
    expect(parseEnv(text)).toEqual(env);
    expect(parseEnv("A=1\0A=2")).toEqual({ A: "2" });
    expect(encodeParams({ env: formatEnv({ A: "1", B: "2" }) }).toString()).toBe("env=A%3D1%00B%3D2");
  });

  test("env and entrypoint refuse what PVE's patterns refuse", () => {
    expect(() => formatEnv({})).toThrow(/at least one/);
    expect(() => formatEnv({ "BAD-NAME": "x" })).toThrow(/name/);
    expect(() => formatEnv({ A: "nul\0inside" })).toThrow(/control character/);
    expect(() => formatEnv({ A: "esc\x1b" })).toThrow(/control character/);
    expect(() => createLxcParams({ ...base, entrypoint: "" })).toThrow(/entrypoint/);
    expect(() => updateLxcConfigParams({ entrypoint: "/bin/sh\x7f" })).toThrow(/entrypoint/);
  });

  test("create and update map entrypoint, env and host-managed explicitly", () => {
    expect(
      createLxcParams({
        ...base,
        entrypoint: "/start.sh",
        env: { ROCKET_PORT: "8080" },
        net: { 0: { name: "eth0", bridge: "vmbr0", ip: "dhcp", hostManaged: true } },
      }),
    ).toMatchObject({
      entrypoint: "/start.sh",
      env: "ROCKET_PORT=8080",
      net0: "name=eth0,bridge=vmbr0,ip=dhcp,host-managed=1",
    });
    expect(updateLxcConfigParams({ env: { A: "1" } })).toMatchObject({ env: "A=1" });
    expect(updateLxcConfigParams({ memory: 1 })).not.toHaveProperty("env", expect.anything());
  });

  test("references need a tag and no digest; archive names follow PVE's normalisation", () => {
    expect(assertOciReference("docker.io/library/nginx:1.27-alpine")).toBe(
      "docker.io/library/nginx:1.27-alpine",
    );
    expect(assertOciReference("registry.example.com:5000/team/app:v1")).toBeTruthy();
    expect(() => assertOciReference("nginx")).toThrow(/tag is required/);
    expect(() => assertOciReference(`nginx@sha256:${"a".repeat(64)}`)).toThrow(/digests/);
    expect(() => assertOciReference("Nginx:1")).toThrow();
    expect(assertOciRepository("louislam/uptime-kuma")).toBe("louislam/uptime-kuma");
    expect(() => assertOciRepository("louislam/uptime-kuma:2")).toThrow();
    expect(ociArchiveVolid("local", "docker.io/library/nginx:1.27-alpine")).toBe(
      "local:vztmpl/nginx_1.27-alpine.tar",
    );
    expect(ociArchiveVolid("local", "nginx:1", "web")).toBe("local:vztmpl/web.tar");
    expect(ociArchiveVolid("local", "nginx:1", "web.tar")).toBe("local:vztmpl/web.tar.tar");
    expect(ociArchiveVolid("nfs", "x:1", "dir/my app")).toBe("nfs:vztmpl/my_app.tar");
  });
});

describe("normalizeFingerprint", () => {
  test("accepts common spellings, refuses wrong lengths", () => {
    const hex = "6a107abb99d62c5f539ed6aba75685b82f2ec462c0ebe27e63fd997540e540e4";
    const canonical = hex.toUpperCase().match(/../g)!.join(":");
    expect(normalizeFingerprint(hex)).toBe(canonical);
    expect(normalizeFingerprint(canonical.toLowerCase())).toBe(canonical);
    expect(normalizeFingerprint(`sha256//${canonical}`)).toBe(canonical);
    expect(() => normalizeFingerprint("AA:BB")).toThrow(/SHA-256/);
  });
});
