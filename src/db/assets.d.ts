// Asset imports resolved by Bun (`with { type: "file" }` yields a path; `type: "text"` yields the content).
declare module "*.wasm" {
  const path: string;
  export default path;
}
declare module "*.data" {
  const path: string;
  export default path;
}
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*.tar.gz" {
  const path: string;
  export default path;
}
