/**
 * What Proximity needs from the JavaScript runtime beyond web standards. Everything else in src/ uses
 * fetch, Request/Response, crypto.subtle, streams and node: modules that Bun and Deno both implement;
 * `bun run lint` refuses the `Bun` and `Deno` globals outside this folder (docs/runtime.md).
 */

/** A fetch bound to a TLS policy; the same contract as the global fetch. */
export type Fetcher = (url: string, init: RequestInit) => Promise<Response>;

export interface TlsPolicy {
  /** Trust exactly this certificate (PEM): the pinned leaf when it is self-signed. Without it, any chain. */
  ca?: string;
  /**
   * Called with the SHA-256 fingerprint ("AA:BB:…") of each connection's certificate; an error refuses the
   * connection. Without it, and without `ca`, any certificate is accepted (a host with verify_tls=false).
   */
  check?: (fingerprint256: string | undefined) => Error | undefined;
}

/** The address of a request's peer, as Hono's handlers see it through `c.env` (src/http/client-ip.ts). */
export interface ServerEnv {
  requestIP(req: Request): { address: string } | null;
}

export interface ServeOptions {
  port: number;
  hostname: string;
  fetch(req: Request, env: ServerEnv): Response | Promise<Response>;
  /** Bytes; the server refuses larger request bodies before the app sees them (where the runtime can). */
  maxRequestBodySize?: number;
}

export interface RunningServer {
  /** The port actually bound (the configured one, or the one picked for port 0). */
  port: number;
  /** Stops accepting connections and waits for requests in flight. */
  stop(): Promise<void>;
}

export interface Argon2idCost {
  /** KiB. */
  memoryCost: number;
  /** Iterations. */
  timeCost: number;
}

/**
 * The embedded PostgreSQL's WebAssembly and file-system image, as bytes. The modules are read when they are
 * compiled (once a process; initdb's only where initdb runs, which most starts never do).
 */
export interface PgliteFiles {
  pgliteWasm(): Promise<ArrayBuffer>;
  initdbWasm(): Promise<ArrayBuffer>;
  fsBundle: Blob;
}

export interface Runtime {
  readonly name: "bun" | "deno";
  /** "Bun 1.4.5", "Deno 2.9.6": for the start-up line. */
  readonly label: string;
  /** The process environment, read at call time (never inlined by a bundler). */
  env(): Record<string, string | undefined>;
  /** The entry module's path or URL (tells whether this is a `bun test` run). */
  mainModule(): string;
  sleep(ms: number): Promise<void>;
  /** A full garbage collection now (start-up garbage would otherwise sit in the heap until load comes). */
  collectGarbage(): void;
  /**
   * Once a server is up: a full collection, then the compiled code of functions that have stopped running
   * (start-up's imports, migrations, the catalog load) is dropped the next time the engine is idle; code
   * that runs again is compiled again (docs/performance.md, "Sixth round").
   */
  releaseStartupMemory(): void;
  /**
   * Gives the pages of a WebAssembly memory that hold only zeros back to the system; they read as zeros
   * again, so the module sees no difference (on Linux: MADV_DONTNEED on the engine's private anonymous
   * mapping). For memory a module zero-filled and has not used (PGlite's buffer pool after start,
   * src/db/pglite-memory.ts). Returns the bytes given back; absent where the runtime cannot.
   */
  discardZeroPages?(memory: WebAssembly.Memory): number;
  /**
   * In a compiled binary, gives back the resident pages of the embedded files read once at start (the
   * embedded database's WASM, file bundle and image), which would otherwise stay mapped for the process's
   * life; the kernel's page cache keeps them, as it does files read from disk. Returns the bytes given back;
   * absent, or 0, where there is nothing to give back (src/core/runtime/embedded-pages.ts).
   */
  releaseEmbeddedFiles?(): number;
  /**
   * Asks for a collection without waiting for it: for work that makes garbage fast in big pieces (a
   * decompressed archive's skipped files), which the collector would otherwise let pile up to tens of MB.
   */
  collectGarbageSoon(): void;
  /**
   * Runs this program again with `args` (the compiled binary itself, or the runtime with the entry module),
   * killed after `timeoutMs`; absent where the runtime cannot, and the caller does the work in-process.
   */
  runSelf?(args: string[], timeoutMs: number): Promise<{ code: number; output: string }>;
  readTextFile(path: string): Promise<string>;
  serve(options: ServeOptions): Promise<RunningServer>;
  /** argon2id in the PHC string form ($argon2id$v=19$m=…,t=…,p=…$salt$hash): each runtime verifies the other's. */
  hashPassword(password: string, cost: Argon2idCost): Promise<string>;
  /** False for a wrong password and for a string that is not an argon2 hash. */
  verifyPassword(password: string, hash: string): Promise<boolean>;
  /** A fetch with the given certificate policy (PVE hosts use self-signed certificates). */
  tlsFetcher(policy: TlsPolicy): Fetcher;
  /** PGlite's assets, embedded in the compiled binary under Bun, read from node_modules under Deno. */
  pgliteFiles(): Promise<PgliteFiles>;
  /**
   * gzip-compressed tar archives, where the runtime has them natively (Bun.Archive): the embedded database's
   * image (src/db/pglite-image.ts). Absent on Deno, where a new data directory is made by initdb instead.
   */
  archive?: {
    /** Packs `entries` (a path ending in "/" with "" is a directory). */
    pack(entries: Record<string, Uint8Array | "">): Promise<Uint8Array>;
    /** Writes the archive's entries below `dir` (created if missing). */
    extract(archive: Uint8Array, dir: string): Promise<void>;
  };
  /**
   * A native YAML parser where the runtime has one (Bun.YAML: ~40× the yaml package on the catalog). It
   * neither refuses duplicate keys nor a second document, so only files shipped with the code go through it
   * (src/features/catalog/yaml-parsers.ts).
   */
  parseYaml?(text: string): unknown;
  /** The image of a ready embedded database shipped with this code (src/db/pglite-image.ts). */
  embeddedDbImage?(): Promise<Uint8Array>;
  /** Paths of the web interface's static files (embedded in the compiled binary under Bun). */
  webAssetPaths(): Record<WebAssetName, string>;
}

/** The web interface's static files (src/web/assets.ts serves them). */
export type WebAssetName = "pico.css" | "app.css" | "htmx.js" | "sse.js" | "app.js";
