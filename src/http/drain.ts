/**
 * Reading the rest of a refused request body before answering. A client that sends its whole body before
 * it reads (Python's http.client, curl, browsers' form posts) gets a broken pipe, not our answer, when the
 * server answers and closes while it is still sending. So a 413 first reads and discards what is left, up
 * to DRAIN_BYTES and DRAIN_MS: memory stays flat (nothing is kept) and the time is bounded.
 */

/** How much of a too-large body is read and thrown away so the client can read the 413. */
export const DRAIN_BYTES = 16 * 1024 * 1024;
const DRAIN_MS = 5_000;

export async function drainBody(req: Request): Promise<void> {
  const declared = Number(req.headers.get("content-length") ?? Number.NaN);
  // Too much to read for nothing: answer at once (the server's own cap refuses such bodies anyway).
  if (Number.isFinite(declared) && declared > DRAIN_BYTES) return;
  if (!req.body || req.bodyUsed) return;
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = req.body.getReader();
  } catch {
    return; // already being read (a chunked body the limit was counting): nothing more to do here
  }
  const deadline = Date.now() + DRAIN_MS;
  let read = 0;
  try {
    while (read < DRAIN_BYTES && Date.now() < deadline) {
      const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), deadline - Date.now()));
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout" || next.done) break;
      read += next.value.byteLength;
    }
  } catch {
    // The client went away: nothing to answer.
  } finally {
    reader.releaseLock();
  }
}
