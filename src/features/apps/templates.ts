/**
 * The templates each catalog OS asks for (see src/proxmox/templates.ts). A catalog entry asking for
 * Debian 13 falls back to Debian 12 on PVE 8 clusters whose appliance index has no Debian 13 yet; the
 * install recipe follows the distro actually chosen.
 */
import { type Distro, OS_TEMPLATE_WISHES, type TemplateWish } from "../../proxmox/index.ts";
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";

export type { Distro };

export const TEMPLATE_WISHES: Record<CatalogEntry["os_template"], TemplateWish> = OS_TEMPLATE_WISHES;
