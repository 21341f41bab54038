/**
 * The layer rules of docs/architecture.md, checked by `bun run lint` (dependency-cruiser).
 * Layers, lowest first: core ← db, crypto, proxmox, observability ← queue ← http ← features ← web ← boot.
 * Type-only imports count: a type cycle is still a knot a maintainer has to untie.
 */
/** A layer rule: the src/ folders in `layer` import none of those in `above` (both `a|b` alternatives). */
function below(name, layer, above, comment) {
  return {
    name,
    severity: "error",
    ...(comment ? { comment } : {}),
    from: { path: `^src/(${layer})/` },
    to: { path: `^src/(${above})/` },
  };
}

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles, type-only imports included.",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-is-the-bottom",
      severity: "error",
      comment:
        "core holds config, errors and identity types; it imports no other layer. (The runtime adapter embeds the web interface's static files and the embedded database's image by path: data, not code.)",
      from: { path: "^src/core/" },
      to: {
        path: "^src/(?!core/)",
        pathNot: "^src/(web/static/[^/]+[.](css|js)|db/image/pgdata[.]tar[.]gz)$",
      },
    },
    below(
      "infra-stays-below-queue-http-features",
      "db|crypto|proxmox|observability",
      "queue|http|features|web|boot|simulator",
      "db, crypto, proxmox and observability are infrastructure: they never reach up.",
    ),
    below(
      "queue-below-features",
      "queue",
      "http|features|web|boot|simulator",
      "The job queue engine knows no feature, route or boot code.",
    ),
    below(
      "http-below-features",
      "http",
      "features|web|boot|simulator",
      "http holds the context type, guards and OpenAPI helpers that features build on.",
    ),
    below("features-below-web-and-boot", "features", "web|boot|simulator"),
    below("web-below-boot", "web", "boot|simulator"),
    {
      name: "feature-public-surface",
      severity: "error",
      comment:
        "A feature uses another feature only through its index.ts, *.service.ts or *.schemas.ts, never its internals.",
      from: { path: "^src/features/([^/]+)/" },
      to: {
        path: "^src/features/(?!$1/)[^/]+/",
        pathNot: "^src/features/[^/]+/(index|[^/]+[.]service|[^/]+[.]schemas)[.]ts$",
      },
    },
    {
      name: "simulator-is-isolated",
      severity: "error",
      comment:
        "The simulator plays Proxmox VE: it imports nothing from the product, and only boot/tests start it.",
      from: { path: "^src/simulator/" },
      to: { path: "^src/(?!simulator/)" },
    },
    {
      name: "only-boot-starts-the-simulator",
      severity: "error",
      from: { path: "^src/(?!simulator/|boot/)" },
      to: { path: "^src/simulator/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    includeOnly: "^src/",
    parser: "swc",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
  },
};
