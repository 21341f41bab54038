/**
 * OCI image references and archive names as PVE 9.1+ handles them (oci-registry-pull): a reference must
 * carry a tag and may not carry a digest, and the stored file is the normalised name plus ".tar".
 */

const COMPONENT = "[a-z\\d]+(?:(?:[._]|__|[-]*)[a-z\\d]+)*";
const LABEL = "(?:[a-zA-Z\\d]|[a-zA-Z\\d][a-zA-Z\\d-]*[a-zA-Z\\d])";
const REPOSITORY = `(?:${LABEL}(?:\\.${LABEL})*(?::\\d+)?/)?${COMPONENT}(?:/${COMPONENT})*`;
const TAGGED = new RegExp(`^${REPOSITORY}:\\w[\\w.-]{0,127}$`);
const UNTAGGED = new RegExp(`^${REPOSITORY}$`);

/** `registry/path/name:tag` — what the pull endpoint accepts (a tag, never a digest). */
export function assertOciReference(reference: string): string {
  if (!TAGGED.test(reference)) {
    throw new TypeError(
      `invalid OCI reference ${JSON.stringify(reference)} (a tag is required, digests are refused)`,
    );
  }
  return reference;
}

/** `registry/path/name` without a tag — what the tag query accepts. */
export function assertOciRepository(reference: string): string {
  if (!UNTAGGED.test(reference)) throw new TypeError(`invalid OCI repository ${JSON.stringify(reference)}`);
  return reference;
}

/**
 * The volid a pull creates: the last path component of `filename` (or of the reference), characters
 * outside [A-Za-z0-9_.-] replaced by "_", and ".tar" appended even when the name already ends in it.
 */
export function ociArchiveVolid(storage: string, reference: string, filename?: string): string {
  const source = filename ?? reference;
  const last = source.slice(source.lastIndexOf("/") + 1);
  return `${storage}:vztmpl/${last.replace(/[^A-Za-z0-9_.-]/g, "_")}.tar`;
}
