/**
 * Store archives served over HTTP from this machine, as a forge serves a branch (`.tar.gz`), so that the
 * benches add a store by URL and the product downloads it through its own code path.
 */
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ArchiveServer {
  /** http://127.0.0.1:<port> */
  base: string;
  close(): void;
}

/** Serves each `files[urlPath]` (a local .tar.gz) at that path; anything else is a 404. */
export async function serveArchives(files: Record<string, string>): Promise<ArchiveServer> {
  const server = createServer((req, res) => {
    const file = req.url ? files[req.url] : undefined;
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/gzip", "content-length": statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
