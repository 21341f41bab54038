// Files embedded with `import x from "…" with { type: "file" }`: the import is the file's path (in the
// compiled binary, a path inside its embedded filesystem).
declare module "*.js" {
  const path: string;
  export default path;
}
declare module "*.css" {
  const path: string;
  export default path;
}
