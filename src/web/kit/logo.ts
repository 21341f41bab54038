/**
 * Proximity's own mark (the nav brand and the favicon): a rounded tile with three stacked containers, drawn
 * here rather than taken from anyone's icon set. Served from memory like the other assets, under a hashed URL.
 */
import { createHash } from "node:crypto";
import { binaryAsset } from "../assets.ts";

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img"><title>Proximity</title>
<rect width="64" height="64" rx="14" fill="#1d4ed8"/>
<path d="M32 10 52 21v22L32 54 12 43V21z" fill="none" stroke="#fff" stroke-width="4" stroke-linejoin="round"/>
<path d="M12 21l20 11 20-11M32 32v22" fill="none" stroke="#fff" stroke-width="4" stroke-linejoin="round"/>
<circle cx="32" cy="32" r="5" fill="#93c5fd"/>
</svg>`;

const BODY = new TextEncoder().encode(SVG);
const HASH = createHash("sha256").update(BODY).digest("hex").slice(0, 10);

/** /assets/logo.<hash>.svg */
export const LOGO_URL = `/assets/logo.${HASH}.svg`;

export function logoAsset() {
  return binaryAsset("image/svg+xml", BODY, HASH);
}
