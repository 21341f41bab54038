/**
 * The compiled binary gives back the pages of the embedded files it read once at start
 * (src/core/runtime/embedded-pages.ts): after the start-up release, the embedded database's file bundle is
 * no longer resident in the server, which keeps working; and on a small binary, every byte of a released
 * file reads back the same, while a page the program wrote is kept as written.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { proximityBinary } from "../../helpers/binary.ts";
import { PASSWORD } from "../../helpers/harness.ts";
import { signUpOverHttp, spawnProximity } from "../../helpers/process.ts";

// The binary's first start and, locally, its build (CI builds it once).
setDefaultTimeout(120_000);

const root = resolve(import.meta.dir, "../../..");
const work = mkdtempSync(join(tmpdir(), "proximity-embedded-files-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PAGE = 4096;

/**
 * How many of the 4 KiB pages that hold `needle` inside `binary` process `pid` has resident, found by the
 * needle's bytes in the executable file (not by the module table the code under test reads) and the
 * process's own /proc maps and pagemap.
 */
function residentPagesOf(pid: number, binary: string, needle: Buffer): { pages: number; resident: number } {
  const offset = readFileSync(binary).indexOf(needle);
  if (offset < 0) throw new Error("the file is not embedded in the binary");
  const inode = statSync(binary).ino;
  let address: number | undefined;
  for (const line of readFileSync(`/proc/${pid}/maps`, "utf8").split("\n")) {
    const [range, , offsetHex, , mappedInode] = line.split(/\s+/);
    if (!range || !offsetHex || Number(mappedInode) !== inode) continue;
    const [start = 0, end = 0] = range.split("-").map((hex) => Number.parseInt(hex, 16));
    const from = Number.parseInt(offsetHex, 16);
    if (offset >= from && offset < from + (end - start)) address = start + offset - from;
  }
  if (address === undefined) throw new Error("the binary does not map that part of itself");
  const first = Math.ceil(address / PAGE);
  const pages = Math.floor((address + needle.length) / PAGE) - first;
  const entries = new BigUint64Array(pages);
  const fd = openSync(`/proc/${pid}/pagemap`, "r");
  try {
    readSync(fd, new Uint8Array(entries.buffer), 0, pages * 8, first * 8);
  } finally {
    closeSync(fd);
  }
  return { pages, resident: entries.filter((entry) => entry >> 63n === 1n).length };
}

test("the binary's embedded database bundle is not resident once the server has started", async () => {
  const binary = await proximityBinary();
  const bundle = readFileSync(join(root, "node_modules/@electric-sql/pglite/dist/pglite.data"));
  const proximity = await spawnProximity({ DATA_DIR: join(work, "data"), LOG_LEVEL: "debug" }, [binary]);
  try {
    const given = () => proximity.output().match(/files read at start were given back","bytes":(\d+)/)?.[1];
    for (let i = 0; i < 200 && !given(); i++) await Bun.sleep(50);
    // The 6.2 MB bundle at least (the image a first start unpacks, too).
    expect(Number(given())).toBeGreaterThan(bundle.length - 2 * PAGE);
    const { pages, resident } = residentPagesOf(proximity.proc.pid, binary, bundle);
    expect(pages).toBeGreaterThan(1000);
    // A page or two may come back when a neighbouring embedded file is read.
    expect(resident).toBeLessThan(pages / 50);
    // Still serving from the database: a user registers and logs in (a failed login throws).
    expect((await signUpOverHttp(proximity.url, "keeper", PASSWORD)).token).toBeTruthy();
  } finally {
    expect(await proximity.stop("SIGTERM")).toBe(0);
  }
});

test("a released embedded file reads back the same, and a page the program wrote keeps what it wrote", async () => {
  const dir = join(work, "small");
  mkdirSync(dir);
  // 3 MB that no other part of the binary repeats.
  const data = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  writeFileSync(join(dir, "data.bin"), data);
  writeFileSync(
    join(dir, "main.ts"),
    `import path from "./data.bin" with { type: "file" };
import { toArrayBuffer } from "bun:ffi";
import { closeSync, openSync, readSync } from "node:fs";
import { embeddedFileRange, releaseEmbeddedFiles } from ${JSON.stringify(join(root, "src/core/runtime/embedded-pages.ts"))};
// The file's whole pages this process has resident, as the kernel reports them.
const resident = (address, length) => {
  const first = Math.ceil(address / 4096), pages = Math.floor((address + length) / 4096) - first;
  const entries = new BigUint64Array(pages), fd = openSync("/proc/self/pagemap", "r");
  readSync(fd, new Uint8Array(entries.buffer), 0, pages * 8, first * 8);
  closeSync(fd);
  return { pages, resident: entries.filter((entry) => entry >> 63n === 1n).length };
};
const range = embeddedFileRange(path);
if (!range) throw new Error("not found");
const mapped = new Uint8Array(toArrayBuffer(range.address, 0, range.length));
const read = await Bun.file(path).bytes();
// The middle page becomes the program's own copy.
const at = Math.floor(range.length / 2);
mapped[at] = mapped[at] ^ 0xff;
const before = resident(range.address, range.length);
const given = releaseEmbeddedFiles([path, "/not/embedded"]);
const after = resident(range.address, range.length);
const again = await Bun.file(path).bytes();
const differing = [];
for (let i = 0; i < again.length; i++) if (again[i] !== read[i]) differing.push(i);
console.log(JSON.stringify({ length: range.length, given, pages: before.pages, before: before.resident, after: after.resident, differing, at, written: again[at] === (read[at] ^ 0xff) }));
`,
  );
  const build = await Bun.build({
    entrypoints: [join(dir, "main.ts")],
    // Not this repository's bunfig.toml (its preload) from the working directory.
    compile: { outfile: join(dir, "small"), autoloadBunfig: false },
  });
  expect(build.success).toBe(true);
  const run = Bun.spawnSync([join(dir, "small")], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  expect(run.stderr.toString()).toBe("");
  const result = JSON.parse(run.stdout.toString()) as {
    length: number;
    given: number;
    pages: number;
    before: number;
    after: number;
    differing: number[];
    at: number;
    written: boolean;
  };
  expect(result.length).toBe(data.length);
  // Every whole page but the one written.
  expect(result.given).toBeGreaterThan(data.length - 3 * PAGE);
  expect(result.given).toBeLessThan(data.length);
  // Resident pages of the file: all of them after the read, then only the written one.
  expect(result.before).toBe(result.pages);
  expect(result.after).toBe(1);
  // The written byte is still written; every other byte is the file's.
  expect(result.differing).toEqual([result.at]);
  expect(result.written).toBe(true);
});
