/** What one event says: the delivery every channel sends, and its title and text for people. */
import type { NoticeEvent } from "../../apps/index.ts";

export interface DeliveryApp {
  id: string;
  name: string;
  hostname: string;
  url: string | null;
}

/** The webhook's JSON body as it is (and what the other kinds render into words). */
export interface Delivery {
  event: NoticeEvent;
  occurred_at: string;
  app?: DeliveryApp | undefined;
  details: Record<string, unknown>;
}

/** A failure to deliver: retryable ones (network, timeout, 5xx, 429) go back to the queue with backoff. */
export class DeliveryError extends Error {
  override name = "DeliveryError";
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const str = (v: unknown): string =>
  typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);

export function titleOf(d: Delivery): string {
  const who = d.app?.hostname ?? "";
  const x = d.details;
  switch (d.event) {
    case "test":
      return "Proximity: test notification";
    case "update.available":
      return `${who}: update available ${str(x.from)} → ${str(x.to)}`;
    case "update.succeeded":
      return `${who} updated to ${str(x.to)}`;
    case "update.failed":
      return `${who}: update to ${str(x.to)} failed`;
    case "update.rolled_back":
      return `${who}: update to ${str(x.to)} rolled back to ${str(x.from)}`;
    case "app.down":
      return `${who} is down`;
    case "app.up":
      return `${who} is up again`;
    case "backup.failed":
      return `${who}: backup failed`;
    case "host.unreachable":
      return `Host ${str(x.host_name)} is unreachable`;
    case "host.storage_low":
      return `Storage ${str(x.storage)} on ${str(x.node)} is ${str(x.used_percent)} % full`;
  }
}

export function textOf(d: Delivery): string {
  const x = d.details;
  const lines: string[] = [];
  if (d.event === "test") lines.push("If you read this, the channel works.");
  if (x.reason) lines.push(str(x.reason));
  if (x.step) lines.push(`Step: ${str(x.step)}`);
  if (x.unsafe_reason) lines.push(`Not automatic: ${str(x.unsafe_reason)}`);
  if (x.notes) lines.push(str(x.notes));
  if (d.app?.url) lines.push(d.app.url);
  lines.push(`(${d.event} at ${d.occurred_at})`);
  return lines.join("\n\n");
}
