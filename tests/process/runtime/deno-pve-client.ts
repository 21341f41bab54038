/**
 * Run by Deno from tests/runtime/deno-tls.test.ts: the product's PVE client under Deno's runtime adapter.
 * argv: apiUrl, client options as JSON. Calls GET /version once per line read on stdin ("call") and prints
 * one JSON line per result.
 */
import { createInterface } from "node:readline";
import { ProxmoxClient } from "../../../src/proxmox/client.ts";
import { ProxmoxError } from "../../../src/proxmox/errors.ts";

const [apiUrl, optionsJson] = process.argv.slice(2);
const client = new ProxmoxClient({
  apiUrl: apiUrl ?? "",
  auth: { kind: "token", tokenId: "root@pam!proximity", tokenSecret: "secret" },
  maxAttempts: 1,
  timeoutMs: 5_000,
  ...JSON.parse(optionsJson ?? "{}"),
});

console.log(JSON.stringify({ ready: true }));
for await (const _line of createInterface({ input: process.stdin })) {
  try {
    console.log(JSON.stringify({ version: (await client.version()).version }));
  } catch (err) {
    console.log(
      JSON.stringify(
        err instanceof ProxmoxError
          ? { kind: err.kind, message: err.pveMessage }
          : { thrown: err instanceof Error ? err.message : String(err) },
      ),
    );
  }
}
