/**
 * The live streams of My apps and of an app's page (htmx's SSE extension swaps the partials they send).
 * Like the API's streams (docs/security.md, "Event streams"), each re-checks its viewer while open: the
 * session still alive (read-only: the cookie is never rotated from here), the account active, the role
 * unchanged, the app still theirs. A viewer holds at most MAX_STREAMS_PER_USER streams at once.
 */
import { Hono } from "hono";
import { RateLimitedError, UnauthenticatedError } from "../../core/errors.ts";
import type { AuthUser } from "../../core/identity.ts";
import { isStable } from "../../features/apps/index.ts";
import { eventStream } from "../../http/sse.ts";
import type { ProximityEvent } from "../../queue/events.ts";
import { BackupList, BackupNow, backupReason } from "../backups/pages.tsx";
import type { WebEnv } from "../context.ts";
import { render, viewer, type WebContext } from "../kit/index.ts";
import { ChartsSection } from "./charts.tsx";
import { ManageSection } from "./manage.tsx";
import { ownerOf, ownersOf } from "./owners.ts";
import { AppCard, AppDetails, AppHeader, noWebOf, ProgressPanel } from "./pages.tsx";
import { progressOf } from "./progress.ts";
import { LogActions } from "./sections.tsx";
import { tilesHtml } from "./tiles.ts";
import { updateOffer } from "./update-offer.ts";

/** Open pages per user: a few tabs each, not an unbounded number of database subscriptions. */
export const MAX_STREAMS_PER_USER = 8;
const open = new Map<string, number>();

/** Counts the viewer's stream in, or refuses it (429) when they hold the maximum already. */
function claimStream(userId: string): () => void {
  const n = open.get(userId) ?? 0;
  if (n >= MAX_STREAMS_PER_USER) {
    throw new RateLimitedError(
      `You have ${n} live pages open; close some tabs (at most ${MAX_STREAMS_PER_USER} at once)`,
      5,
    );
  }
  open.set(userId, n + 1);
  return () => {
    const left = (open.get(userId) ?? 1) - 1;
    if (left <= 0) open.delete(userId);
    else open.set(userId, left);
  };
}

/**
 * The viewer as stored now, for a stream's recheck: throws (ending the stream) when the session has ended,
 * the account was disabled, or the role changed since the stream opened.
 */
async function stillTheViewer(c: WebContext, opened: AuthUser): Promise<AuthUser> {
  const token = c.get("sessionToken");
  const user = token ? await c.get("services").auth.sessionUser(token) : undefined;
  if (!user || user.id !== opened.id) throw new UnauthenticatedError("The session has ended");
  if (user.role !== opened.role)
    throw new UnauthenticatedError("The account's role changed; reload the page");
  return user;
}

/** Sent when the app is gone: the notice replaces the page's actions and the stream element goes, so the
 * browser does not reconnect to an app that no longer exists. */
const DELETED = `<hx-partial hx-target="#app-actions" hx-swap="innerHTML"><p class="reason" id="app-deleted">This app was deleted. <a href="/apps">Back to my apps</a></p></hx-partial><hx-partial hx-target="#progress" hx-swap="innerHTML"></hx-partial><hx-partial hx-target="#live" hx-swap="delete"></hx-partial>`;

export function liveRoutes() {
  const r = new Hono<WebEnv>();

  // Status changes of every app the viewer sees, as card replacements.
  r.get("/live", (c) => {
    const v = viewer(c);
    const services = c.get("services");
    const release = claimStream(v.id);
    // Cards this viewer may see; a deletion is only announced for those (others' app ids stay unknown).
    const visible = new Set<string>();
    return eventStream<ProximityEvent>(c, {
      keepAliveMs: services.config.SSE_KEEPALIVE_SECONDS * 1000,
      subscribe: (push) =>
        services.events.subscribe((e) => {
          if (e.type === "app.status") push(e);
        }),
      // On every (re)connect the whole list, so nothing missed while the stream was not open lingers (an
      // app deleted between the page's render and the stream's start).
      initial: async (stream) => {
        const { items } = await services.apps.listViews(v, { page: 1, perPage: 100 });
        for (const a of items) visible.add(a.id);
        const owners = await ownersOf(services, v, items);
        const tiles = tilesHtml(items, owners, (a) => updateOffer(services, a));
        await stream.writeSSE({
          data: `<hx-partial hx-target="#app-list" hx-swap="innerHTML">${tiles}</hx-partial>`,
        });
      },
      write: async (stream, e) => {
        if (e.type !== "app.status" || !e.app_id) return undefined;
        if (e.status === "deleted") {
          if (visible.delete(e.app_id)) {
            await stream.writeSSE({
              data: `<hx-partial hx-target="#app-${e.app_id}" hx-swap="delete"></hx-partial>`,
            });
          }
          return undefined;
        }
        const app = await services.apps.get(v, e.app_id).catch(() => undefined);
        if (!app) return undefined;
        // A new app (installed in another tab, or a clone) joins the list; a known one is replaced.
        const known = visible.has(app.id);
        visible.add(app.id);
        const owner = await ownerOf(services, v, app);
        const html = await render(
          <hx-partial
            hx-target={known ? `#app-${app.id}` : "#app-list"}
            hx-swap={known ? "outerHTML" : "afterbegin"}
          >
            <AppCard app={app} owner={owner} offer={updateOffer(services, app)} />
          </hx-partial>,
        );
        await stream.writeSSE({ data: html });
        return undefined;
      },
      recheck: async () => {
        await stillTheViewer(c, v);
      },
      recheckMs: services.config.SSE_RECHECK_SECONDS * 1000,
      onClose: release,
    });
  });

  // The app page's live stream: a snapshot on (re)connect, then status, progress and log lines.
  r.get("/:id/live", async (c) => {
    const v = viewer(c);
    const services = c.get("services");
    const app = await services.apps.get(v, c.req.param("id")).catch(() => undefined);
    if (!app) {
      // Gone (deleted while the page was open): say so once, and stop the browser reconnecting.
      return eventStream<ProximityEvent>(c, {
        subscribe: () => () => {},
        initial: async (stream) => {
          await stream.writeSSE({ data: DELETED });
          return "end";
        },
        write: async () => "end",
        onClose: claimStream(v.id),
      });
    }
    const owner = await ownerOf(services, v, app);
    const release = claimStream(v.id);
    /** Everything that changes with the app's state; the charts too once it settled (they reload). */
    const snapshot = async (settled = false) => {
      const current = await services.apps.get(v, app.id).catch(() => undefined);
      if (!current) return DELETED;
      const { job, lines } = await progressOf(services, v, current);
      const backups = await services.backups.list(v, { appId: current.id, page: 1, perPage: 50 });
      return await render(
        <>
          <hx-partial hx-target="#app-header" hx-swap="outerHTML">
            <AppHeader app={current} offer={updateOffer(services, current)} />
          </hx-partial>
          <hx-partial hx-target="#progress" hx-swap="outerHTML">
            <ProgressPanel app={current} job={job} lines={lines} csrf={c.get("csrfToken")} />
          </hx-partial>
          <hx-partial hx-target="#backup-list" hx-swap="innerHTML">
            <BackupList app={current} backups={backups.items} />
          </hx-partial>
          <hx-partial hx-target="#backup-actions" hx-swap="innerHTML">
            <BackupNow app={current} reason={backupReason(current)} />
          </hx-partial>
          <hx-partial hx-target="#log-actions" hx-swap="outerHTML">
            <LogActions app={current} />
          </hx-partial>
          <hx-partial hx-target="#app-details" hx-swap="outerHTML">
            <AppDetails
              app={current}
              owner={owner}
              noWeb={noWebOf(current.catalogId ? services.catalog.get(current.catalogId) : undefined)}
            />
          </hx-partial>
          {settled ? (
            <>
              <hx-partial hx-target="#charts" hx-swap="outerHTML">
                <ChartsSection app={current} />
              </hx-partial>
              {/* What can run changed with the state (forms are not replaced mid-typing otherwise). */}
              <hx-partial hx-target="#manage" hx-swap="outerHTML">
                <ManageSection
                  app={current}
                  csrf={c.get("csrfToken")}
                  update={updateOffer(services, current)}
                />
              </hx-partial>
            </>
          ) : null}
        </>,
      );
    };
    return eventStream<ProximityEvent>(c, {
      keepAliveMs: services.config.SSE_KEEPALIVE_SECONDS * 1000,
      subscribe: (push) =>
        services.events.subscribe((e) => {
          if ("app_id" in e && e.app_id === app.id) push(e);
        }),
      initial: async (stream) => {
        await stream.writeSSE({ data: await snapshot() });
      },
      write: async (stream, e) => {
        if (e.type === "job.log") {
          const line = await render(
            <hx-partial hx-target="#log-lines" hx-swap="beforeend">
              <p class={e.level}>{e.message}</p>
            </hx-partial>,
          );
          await stream.writeSSE({ data: line });
          return undefined;
        }
        if (e.type === "app.status" && e.status === "deleted") {
          await stream.writeSSE({ data: DELETED });
          return "end";
        }
        if (e.type === "job.progress") {
          // The frequent case during a deploy: only the progress panel changes.
          // The app may be deleted under our feet (a delete's own progress): its status event follows.
          const current = await services.apps.get(v, app.id).catch(() => undefined);
          const progress = current
            ? await progressOf(services, v, current).catch(() => undefined)
            : undefined;
          if (!current || !progress) return undefined;
          const { job, lines } = progress;
          await stream.writeSSE({
            data: await render(
              <hx-partial hx-target="#progress" hx-swap="outerHTML">
                <ProgressPanel app={current} job={job} lines={lines} csrf={c.get("csrfToken")} />
              </hx-partial>,
            ),
          });
          return undefined;
        }
        const settled = e.type === "app.status" && isStable(e.status);
        await stream.writeSSE({ data: await snapshot(settled) });
        return undefined;
      },
      // Still the same active viewer with the same role, and the app still theirs.
      recheck: async () => {
        const user = await stillTheViewer(c, v);
        await services.apps.get(user, app.id);
      },
      recheckMs: services.config.SSE_RECHECK_SECONDS * 1000,
      onClose: release,
    });
  });

  return r;
}
