import { describe, expect, test } from "bun:test";
import {
  buildPath,
  encodeParams,
  formatFeatures,
  formatNet,
  formatPruneBackups,
  formatRootfs,
} from "../../src/proxmox/encoding.ts";
import { createLxcParams, updateLxcConfigParams, vzdumpParams } from "../../src/proxmox/params.ts";
import { normalizeFingerprint } from "../../src/proxmox/tls.ts";
import type { CreateLxcParams } from "../../src/proxmox/types.ts";

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
