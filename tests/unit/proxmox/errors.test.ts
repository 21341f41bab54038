import { describe, expect, test } from "bun:test";
import { AppError } from "../../../src/core/errors.ts";
import { ProxmoxError, type ProxmoxErrorKind } from "../../../src/proxmox/errors.ts";
import { shouldRetry } from "../../../src/proxmox/http.ts";

const make = (kind: ProxmoxErrorKind, status = 0, message = "x", notSent = false) =>
  new ProxmoxError(message, {
    kind,
    host: "pve.lan:8006",
    node: "pve1",
    method: "GET",
    path: "/nodes/{node}",
    status,
    notSent,
  });

describe("ProxmoxError", () => {
  test("is an AppError: PROXMOX_ERROR 502, or PROXMOX_UNAVAILABLE 503 when the host could not be reached", () => {
    for (const kind of ["http", "auth", "task_failed", "host_key"] as const) {
      const e = make(kind, 500);
      expect(e).toBeInstanceOf(AppError);
      expect(e.code).toBe("PROXMOX_ERROR");
      expect(e.status).toBe(502);
    }
    for (const kind of ["unreachable", "tls", "timeout", "ssh_drop"] as const) {
      expect(make(kind).code).toBe("PROXMOX_UNAVAILABLE");
      expect(make(kind).status).toBe(503);
    }
  });

  test("carries context and per-field errors as details", () => {
    const e = new ProxmoxError("Parameter verification failed.\n", {
      kind: "http",
      host: "pve.lan:8006",
      node: "pve1",
      method: "POST",
      path: "/nodes/{node}/lxc",
      status: 400,
      errors: { hostname: "invalid format - value does not look like a valid DNS name\n" },
    });
    expect(e.pveMessage).toBe("Parameter verification failed.");
    expect(e.details).toEqual([
      { field: "hostname", message: "invalid format - value does not look like a valid DNS name" },
    ]);
    expect(e.message).toContain("POST /nodes/{node}/lxc");
    expect(e.message).toContain("400");
    expect(e.toContext()).toMatchObject({
      host: "pve.lan:8006",
      node: "pve1",
      pve_status: 400,
      kind: "http",
    });
  });

  test("retryable: network, drops, timeouts and lock contention only", () => {
    expect(make("unreachable").retryable).toBe(true);
    expect(make("ssh_drop").retryable).toBe(true);
    expect(make("http", 500, "CT is locked (create)").retryable).toBe(true);
    expect(
      make("http", 500, "can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout").retryable,
    ).toBe(true);
    expect(make("http", 500, "CT 100 already exists on node 'pve1'").retryable).toBe(false);
    expect(make("tls").retryable).toBe(false);
    expect(make("host_key").retryable).toBe(false);
    expect(make("auth", 401).retryable).toBe(false);
  });
});

describe("shouldRetry", () => {
  test("GETs are retried on network errors and 5xx, except permanent answers", () => {
    expect(shouldRetry(make("unreachable"), "GET", false)).toBe(true);
    expect(shouldRetry(make("timeout"), "GET", false)).toBe(true);
    expect(shouldRetry(make("http", 500, "Internal error"), "GET", false)).toBe(true);
    expect(shouldRetry(make("http", 503, "Service Unavailable"), "GET", false)).toBe(true);
    expect(
      shouldRetry(
        make("http", 500, "Configuration file 'nodes/pve1/lxc/999.conf' does not exist"),
        "GET",
        false,
      ),
    ).toBe(false);
    expect(shouldRetry(make("http", 501, "Method 'GET /x' not implemented"), "GET", false)).toBe(false);
    expect(shouldRetry(make("http", 400, "Parameter verification failed."), "GET", false)).toBe(false);
    expect(shouldRetry(make("auth", 401), "GET", false)).toBe(false);
    expect(shouldRetry(make("tls"), "GET", false)).toBe(false);
  });

  test("writes: only when never sent, or transient answers on calls marked idempotent", () => {
    expect(shouldRetry(make("unreachable", 0, "refused", true), "POST", false)).toBe(true);
    expect(shouldRetry(make("unreachable", 0, "reset", false), "POST", false)).toBe(false);
    expect(shouldRetry(make("timeout"), "POST", false)).toBe(false);
    expect(shouldRetry(make("http", 500, "Internal error"), "POST", false)).toBe(false);
    expect(shouldRetry(make("http", 500, "CT is locked (backup)"), "POST", false)).toBe(false);
    expect(shouldRetry(make("http", 500, "CT is locked (backup)"), "POST", true)).toBe(true);
    expect(shouldRetry(make("http", 500, "got timeout"), "PUT", true)).toBe(true);
    expect(shouldRetry(make("http", 500, "CT 100 already exists"), "POST", true)).toBe(false);
    expect(shouldRetry(make("tls", 0, "pin", true), "POST", true)).toBe(false);
  });
});
