/**
 * The PVE client's TLS policy under Deno, where the runtime adapter sends requests through node:https
 * (src/core/runtime/deno.ts): the same cases as tests/proxmox/tls.test.ts, against real TLS servers.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ProxmoxClientOptions } from "../../../src/proxmox/types.ts";
import { denoExecutable } from "../../helpers/deno.ts";
import { CERTS, fingerprint, servePveVersion } from "../../helpers/tls-certs.ts";

setDefaultTimeout(60_000);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const done of cleanups.splice(0)) await done();
});

function serve(which: keyof typeof CERTS, port = 0) {
  const served = servePveVersion(which, port);
  cleanups.push(() => served.server.stop(true));
  return served;
}

type Result = { version?: string; kind?: string; message?: string; thrown?: string };

/** tests/runtime/deno-pve-client.ts under Deno; call() asks it for GET /version once. */
async function denoClient(apiUrl: string, options: Partial<ProxmoxClientOptions> = {}) {
  const proc = Bun.spawn(
    [
      await denoExecutable(),
      "run",
      "--allow-all",
      "tests/process/runtime/deno-pve-client.ts",
      apiUrl,
      JSON.stringify(options),
    ],
    { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
  );
  cleanups.push(() => {
    proc.kill();
    return proc.exited;
  });
  const reader = proc.stdout.getReader();
  let buffered = "";
  const nextLine = async (): Promise<Result & { ready?: boolean }> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the Deno client exited");
      buffered += new TextDecoder().decode(value);
    }
    const line = buffered.slice(0, buffered.indexOf("\n"));
    buffered = buffered.slice(line.length + 1);
    return JSON.parse(line);
  };
  expect((await nextLine()).ready).toBe(true);
  return {
    call: async (): Promise<Result> => {
      proc.stdin.write("call\n");
      proc.stdin.flush();
      return nextLine();
    },
  };
}

describe("TLS under Deno", () => {
  test("verification is on by default: a self-signed certificate is refused as kind tls", async () => {
    const s = serve("selfSigned");
    expect((await (await denoClient(s.url)).call()).kind).toBe("tls");
    expect(s.hits()).toBe(0);
  });

  test("verifyTls=false accepts it", async () => {
    const s = serve("selfSigned");
    expect(await (await denoClient(s.url, { verifyTls: false })).call()).toEqual({ version: "8.4.1" });
  });

  for (const which of ["selfSigned", "caSigned"] as const) {
    test(`pinned fingerprint of a ${which} certificate: accepted, and reused across calls`, async () => {
      const s = serve(which);
      const c = await denoClient(s.url, { fingerprint: fingerprint(CERTS[which].cert).toLowerCase() });
      expect(await c.call()).toEqual({ version: "8.4.1" });
      expect(await c.call()).toEqual({ version: "8.4.1" });
      expect(s.hits()).toBe(2);
    });

    test(`wrong pin for a ${which} certificate: refused before any request is sent`, async () => {
      const s = serve(which);
      const other = which === "selfSigned" ? "caSigned" : "selfSigned";
      const result = await (await denoClient(s.url, { fingerprint: fingerprint(CERTS[other].cert) })).call();
      expect(result.kind).toBe("tls");
      expect(result.message).toContain("does not match the pinned");
      expect(s.hits()).toBe(0);
    });
  }

  test("a certificate swapped after the pin was verified is refused on the next connection", async () => {
    const first = serve("selfSigned");
    const c = await denoClient(first.url, { fingerprint: fingerprint(CERTS.selfSigned.cert) });
    expect(await c.call()).toEqual({ version: "8.4.1" });
    first.server.stop(true);
    const second = serve("caSigned", first.port);
    const result = await c.call();
    expect(result.kind).toBe("tls");
    expect(result.message).toContain("does not match the pinned");
    expect(second.hits()).toBe(0);
  });
});
