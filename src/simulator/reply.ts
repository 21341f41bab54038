/** Writing replies the way pve-api-daemon does: its headers, and the reason phrase carrying the error. */
import type { ServerResponse } from "node:http";

function baseHeaders(): Record<string, string> {
  return {
    Server: "pve-api-daemon/3.0",
    "Cache-Control": "max-age=0",
    Pragma: "no-cache",
    Expires: new Date().toUTCString(),
  };
}

/** Sends a JSON (or empty, when body is undefined) reply with a PVE-style reason phrase. */
export function send(res: ServerResponse, status: number, reason: string, body?: unknown): void {
  const headers = baseHeaders();
  // The reason phrase is one line of latin-1 text; anything else would break the status line.
  const phrase = reason.split("\n")[0]!.replace(/[^\x20-\x7e\xa0-\xff]/g, "?") || "Error";
  if (body === undefined) {
    headers["Content-Length"] = "0";
    res.writeHead(status, phrase, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  headers["Content-Type"] = "application/json;charset=UTF-8";
  headers["Content-Length"] = String(Buffer.byteLength(text));
  res.writeHead(status, phrase, headers);
  res.end(text);
}
