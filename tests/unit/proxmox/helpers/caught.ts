/** The ProxmoxError a call fails with (the test fails when it succeeds or throws anything else). */
import { expect } from "bun:test";
import { ProxmoxError } from "../../../../src/proxmox/errors.ts";

export async function caught(p: Promise<unknown>): Promise<ProxmoxError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProxmoxError);
    return err as ProxmoxError;
  }
  throw new Error("expected a ProxmoxError");
}
