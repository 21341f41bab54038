import { describe, expect, test } from "bun:test";
import { lxcNetwork } from "../../../src/features/apps/network.ts";
import { createLxcParams } from "../../../src/proxmox/params.ts";

const base = {
  vmid: 101,
  hostname: "app",
  ostemplate: "local:vztmpl/x.tar.zst",
  rootfs: { storage: "local-lvm", sizeGb: 8 },
};

/** What PVE receives for the container's network. */
function sent(network: Parameters<typeof lxcNetwork>[0], nic?: Parameters<typeof lxcNetwork>[1]) {
  const params = createLxcParams({ ...base, ...lxcNetwork(network, nic) });
  return { net0: params.net0, nameserver: params.nameserver, searchdomain: params.searchdomain };
}

describe("an app container's network (both runtimes)", () => {
  test("eth0 on the bridge by DHCP; no VLAN, DNS or search domain unless configured", () => {
    const got = sent({ bridge: "vmbr1", vlan: null, dns_servers: [], search_domain: null });
    expect(got.net0).toBe("name=eth0,bridge=vmbr1,ip=dhcp");
    expect(got.nameserver).toBeUndefined();
    expect(got.searchdomain).toBeUndefined();
  });

  test("the configured VLAN, DNS servers and search domain reach PVE", () => {
    const got = sent({
      bridge: "vmbr0",
      vlan: 20,
      dns_servers: ["1.1.1.1", "9.9.9.9"],
      search_domain: "lan",
    });
    expect(got.net0).toContain("tag=20");
    expect(got.nameserver).toBe("1.1.1.1 9.9.9.9");
    expect(got.searchdomain).toBe("lan");
  });

  test("an OCI container's interface is host-managed and keeps a given MAC address", () => {
    const network = { bridge: "vmbr0", vlan: null, dns_servers: [], search_domain: null };
    const got = sent(network, { hostManaged: true, hwaddr: "BC:24:11:00:00:01" });
    expect(got.net0).toContain("host-managed=1");
    expect(got.net0).toContain("hwaddr=BC:24:11:00:00:01");
  });
});
