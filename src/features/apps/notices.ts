/**
 * What the app side tells the notifications feature: an event name and what it is about. The sagas and the
 * health watcher call `deps.notify(notice)`; the container binds it to the notifications service, which
 * turns it into one durable delivery job per channel that wants the event (features/notifications/).
 */

/** Every event a channel can select, in the order the interface lists them. */
export const NOTICE_EVENTS = [
  "test",
  "update.available",
  "update.succeeded",
  "update.failed",
  "update.rolled_back",
  "app.down",
  "app.up",
  "backup.failed",
  "host.unreachable",
  "host.storage_low",
] as const;
export type NoticeEvent = (typeof NOTICE_EVENTS)[number];

export interface Notice {
  event: NoticeEvent;
  /** The app the event is about (its owner's subscriptions apply). */
  app_id?: string | undefined;
  /** The host, for host events. */
  host_id?: string | undefined;
  details: Record<string, unknown>;
}

export type Notify = (notice: Notice) => Promise<void>;
