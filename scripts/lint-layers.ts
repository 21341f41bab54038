/**
 * `bun run lint` step: the layer rules of .dependency-cruiser.cjs (see docs/architecture.md) over src/.
 * dependency-cruiser parses TypeScript with swc here (it wants the TypeScript 5 compiler API, and the project
 * uses TypeScript 7), so its "missing-tsc-transpiler" notice is dropped; every other line is shown. Exits
 * non-zero on any violation.
 */
const cli = new URL("../node_modules/dependency-cruiser/bin/dependency-cruiser.mjs", import.meta.url)
  .pathname;
const args = process.argv.slice(2);
const proc = Bun.spawn(
  ["bun", cli, "--config", ".dependency-cruiser.cjs", ...(args.length ? args : ["src"])],
  {
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "pipe",
    stderr: "pipe",
  },
);
const [out, err, code] = await Promise.all([
  new Response(proc.stdout).text(),
  new Response(proc.stderr).text(),
  proc.exited,
]);
const notice =
  /missing-tsc-transpiler|compatible TypeScript compiler|likely to have missed|Install typescript|npm i -D typescript|Support for typescript@>=7/;
const show = (text: string) =>
  text
    .split("\n")
    .filter((line) => !notice.test(line))
    .join("\n")
    .trim();
const shown = [show(out), show(err)].filter(Boolean).join("\n");
if (shown) console.log(shown);
process.exit(code);
