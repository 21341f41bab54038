/**
 * The templates each catalog OS asks for. A catalog entry asking for Debian 13 falls back to Debian 12 on
 * PVE 8 clusters whose appliance index has no Debian 13 yet (the install recipe follows the distro).
 */
import type { Distro, TemplateWish } from "../../proxmox/index.ts";
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";

export type { Distro };

export const TEMPLATE_WISHES: Record<CatalogEntry["os_template"], TemplateWish> = {
  "alpine-3.22": {
    packages: [
      { name: /^alpine-3\.22-default$/, distro: "alpine" },
      { name: /^alpine-3\.(2[3-9]|[3-9]\d)-default$/, distro: "alpine" },
    ],
    ostype: "alpine",
  },
  "debian-13": {
    packages: [
      { name: /^debian-13-standard$/, distro: "debian-13" },
      { name: /^debian-12-standard$/, distro: "debian-12" },
    ],
    ostype: "debian",
  },
  "debian-12": {
    packages: [{ name: /^debian-12-standard$/, distro: "debian-12" }],
    ostype: "debian",
  },
};
