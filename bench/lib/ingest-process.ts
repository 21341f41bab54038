/**
 * The fake Sentry ingest of tests/helpers/fake-sentry.ts in a process of its own, for benches: parsing every
 * envelope in the process that also drives the load would charge the Sentry variants for the bench's own
 * work. Prints `dsn <url>` when listening; on a line on stdin, prints `counts <events> <transactions>`;
 * exits when stdin closes.
 */
import { startFakeSentry } from "../../tests/helpers/fake-sentry.ts";

const ingest = startFakeSentry();
console.log(`dsn ${ingest.dsn}`);
const decoder = new TextDecoder();
for await (const chunk of Bun.stdin.stream()) {
  if (decoder.decode(chunk).includes("\n")) {
    console.log(`counts ${ingest.events().length} ${ingest.transactions().length}`);
  }
}
await ingest.stop();
