/** How a catalog image is named for PVE's OCI pull: the reference with its registry, and the archive name. */

/**
 * The image of an entry as a pull reference with its registry: skopeo on a PVE node may have no default
 * registry for short names, so `vaultwarden/server:1.37.2` becomes `docker.io/vaultwarden/server:1.37.2`
 * and `nginx:1.27` becomes `docker.io/library/nginx:1.27`.
 */
export function ociReference(image: string): string {
  const first = image.split("/")[0]!;
  const hasRegistry =
    image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasRegistry) return image;
  return image.includes("/") ? `docker.io/${image}` : `docker.io/library/${image}`;
}

/**
 * The archive's file name: the whole reference, so two repositories with the same last component and tag
 * (vaultwarden/server and gotify/server) never share a template. PVE appends `.tar`.
 */
export function ociFilename(reference: string): string {
  return reference.replace(/[^A-Za-z0-9_.-]/g, "_");
}
