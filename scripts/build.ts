/**
 * `bun run build` → dist/proximity: one self-contained executable (bun build --compile) carrying the code,
 * the SQL migrations, the catalog, PGlite's WASM and data files and the embedded database's image (rebuilt
 * first when it lacks a migration, so a first start of the binary never runs initdb or a migration).
 */
import { rmSync } from "node:fs";
import { buildEmbeddedDbImage, imageIsCurrent } from "./db-image.ts";

rmSync("dist", { recursive: true, force: true });
const started = performance.now();
if (!imageIsCurrent()) {
  const image = await buildEmbeddedDbImage();
  console.log(
    `Rebuilt the embedded database's image (a migration was missing) in ${Math.round(image.ms)} ms`,
  );
}
const result = await Bun.build({
  entrypoints: ["src/index.ts"],
  // The binary must not pick up a bunfig.toml (whose preload points at source files), package.json or a .env
  // from whatever directory it is started in: its configuration is the process environment only (README,
  // "Configuration"), so a stray .env in a home directory cannot change where it points.
  compile: {
    outfile: "dist/proximity",
    autoloadBunfig: false,
    autoloadPackageJson: false,
    autoloadDotenv: false,
    // The same runtime flag as `bun run start`: JSC's small-heap mode, about 3 MB less resident memory at
    // idle and less under load, with no throughput lost on /auth/me or /health (docs/performance.md, "Ninth round").
    execArgv: ["--smol"],
  },
  minify: { syntax: true, whitespace: true, identifiers: false },
  // Precompiled bytecode: the binary skips parsing its ~10 MB of JavaScript at every start (CPU to the first
  // /health 1.41 → 1.22 s, median of 7 alternating starts, docs/performance.md); ESM keeps top-level await.
  bytecode: true,
  format: "esm",
  sourcemap: "inline",
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
const size = Bun.file("dist/proximity").size;
console.log(
  `Built dist/proximity (${(size / 1024 / 1024).toFixed(1)} MiB) in ${Math.round(performance.now() - started)} ms`,
);
