/**
 * An app container's network, as both runtimes create it: one interface, eth0, on the configured bridge
 * (and VLAN), addressed by DHCP, with the configured DNS servers and search domain. Written once so the
 * Docker and OCI deploys (and the OCI update's replacement container) cannot drift apart.
 */
import type { CreateLxcParams } from "../../proxmox/types.ts";
import type { Settings } from "../settings/settings.schemas.ts";

export function lxcNetwork(
  network: Settings["network"],
  nic: {
    /** An OCI application container has no network stack of its own: the host runs DHCP for it. */
    hostManaged?: boolean;
    /** Kept across a replacement container, so DHCP hands out the same address. */
    hwaddr?: string;
  } = {},
): Pick<CreateLxcParams, "net" | "nameserver" | "searchdomain"> {
  return {
    net: {
      0: {
        name: "eth0",
        bridge: network.bridge,
        ip: "dhcp",
        ...(nic.hostManaged ? { hostManaged: true } : {}),
        ...(nic.hwaddr ? { hwaddr: nic.hwaddr } : {}),
        ...(network.vlan ? { tag: network.vlan } : {}),
      },
    },
    ...(network.dns_servers.length ? { nameserver: network.dns_servers.join(" ") } : {}),
    ...(network.search_domain ? { searchdomain: network.search_domain } : {}),
  };
}
