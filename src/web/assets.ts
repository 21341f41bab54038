/**
 * The page's static files, embedded in the binary (`with { type: "file" }` gives a path that works from
 * source and from the compiled executable, in any working directory) and served from memory. Each URL
 * carries a hash of the content, so the files are cacheable for a year; gzip is computed once.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { runtime } from "../core/runtime/index.ts";
import type { WebAssetName } from "../core/runtime/types.ts";

export interface Asset {
  /** /assets/<name>.<hash>.<ext> */
  url: string;
  type: string;
  body: Uint8Array;
  gzip: Uint8Array;
  etag: string;
}

export type AssetName = WebAssetName;

const TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
};

const IMMUTABLE = "public, max-age=31536000, immutable";

function build(name: string, body: Uint8Array): Asset {
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 10);
  const dot = name.lastIndexOf(".");
  const ext = name.slice(dot + 1);
  return {
    url: `/assets/${name.slice(0, dot)}.${hash}.${ext}`,
    type: TYPES[ext] ?? "application/octet-stream",
    body,
    gzip: new Uint8Array(gzipSync(body)),
    etag: `"${hash}"`,
  };
}

let loaded: { byName: Map<AssetName, Asset>; byUrl: Map<string, Asset> } | undefined;

function load() {
  if (!loaded) {
    const byName = new Map<AssetName, Asset>();
    const byUrl = new Map<string, Asset>();
    for (const [name, path] of Object.entries(runtime.webAssetPaths()) as [AssetName, string][]) {
      const asset = build(name, new Uint8Array(readFileSync(path)));
      byName.set(name, asset);
      byUrl.set(asset.url, asset);
    }
    loaded = { byName, byUrl };
  }
  return loaded;
}

/** The hashed URL of an embedded file, for <link>/<script> tags. */
export function assetUrl(name: AssetName): string {
  return load().byName.get(name)!.url;
}

export function assetByUrl(url: string): Asset | undefined {
  return load().byUrl.get(url);
}

/** A response for an asset: gzip when the client accepts it, 304 when its ETag matches. */
export function assetResponse(
  asset: Pick<Asset, "type" | "body" | "gzip" | "etag">,
  req: Request,
  cacheControl = IMMUTABLE,
): Response {
  const headers = new Headers({
    "content-type": asset.type,
    "cache-control": cacheControl,
    etag: asset.etag,
    vary: "accept-encoding",
  });
  if (req.headers.get("if-none-match") === asset.etag) return new Response(null, { status: 304, headers });
  const gzip = /\bgzip\b/.test(req.headers.get("accept-encoding") ?? "");
  if (gzip) headers.set("content-encoding", "gzip");
  return new Response((gzip ? asset.gzip : asset.body) as Uint8Array<ArrayBuffer>, { headers });
}

/** An in-memory file (an icon) as an asset; its gzip is computed once per body. */
const gzipped = new WeakMap<Uint8Array, Uint8Array>();
export function binaryAsset(type: string, body: Uint8Array, hash: string) {
  let gzip = gzipped.get(body);
  if (!gzip) {
    gzip = new Uint8Array(gzipSync(body));
    gzipped.set(body, gzip);
  }
  return { type, body, gzip, etag: `"${hash}"` };
}
