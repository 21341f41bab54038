/**
 * The dashboard's tiles are written as one string rather than JSX (src/web/apps/tiles.ts): the markup is the
 * one the JSX wrote (the expected tiles below are the JSX's output before the change, with a fixed id), and
 * every value an app's owner, a store or the catalog controls reaches the page as text, never as markup.
 */
import { describe, expect, test } from "bun:test";
import { iconPath } from "../../../src/features/catalog/catalog.service.ts";
import { appTileHtml, quickActionsHtml, type TileApp } from "../../../src/web/apps/tiles.ts";

const ID = "359d5c74-7e4f-435e-a84e-246bc20d2d99";

const running: TileApp = {
  id: ID,
  name: "Gitea",
  hostname: "run-url",
  catalogId: "gitea",
  catalogVersion: "1",
  scriptSlug: null,
  status: "running",
  statusReason: null,
  ownerId: "u1",
  node: "pve1",
  vmid: 100,
  url: "http://10.0.0.1:3000",
  httpsUrl: null,
  resources: { cores: 1, memory_mb: 1024, disk_gb: 8 },
  updateMode: "notify",
  updateWindow: null,
  health: "degraded",
  healthReason: `timeout <script>"'&`,
};

const HOSTILE = `<img src=x onerror=alert(1)> & "x" 'y'`;
const ESCAPED = "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;x&quot; &#39;y&#39;";

/** HTML escaping written out here, independently of the code under test. */
const esc = (s: string) =>
  s
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");

describe("dashboard tiles", () => {
  test("a running app's tile: its address in a new tab, health and update badges, owner, Stop and Restart", () => {
    const gitea = iconPath("gitea");
    expect(appTileHtml(running, "admin", { to: "1.27.3" })).toBe(
      `<article id="app-${ID}" data-hostname="run-url" class="tile"><div class="card-head"><img class="icon" src="${gitea}" alt="" width="40" height="40"/><div class="tile-title"><h2><a class="tile-link" href="http://10.0.0.1:3000" target="_blank" rel="noopener noreferrer" aria-label="Open run-url" data-open-link="true" title="run-url">run-url</a></h2><small class="muted">Gitea</small></div></div><p class="tile-status"><span class="badge running" data-status="running">running</span> <span class="badge error health" title="timeout &lt;script&gt;&quot;&#39;&amp;" data-health="degraded">Not answering</span> <span class="badge update" data-update="1.27.3" title="Version 1.27.3 is in the catalog">Update 1.27.3</span> </p><p class="tile-meta">1 core · 1 GiB · 8 GiB · pve1 · admin</p><div class="actions-row"><a href="/apps/${ID}" class="button-link secondary small" aria-label="Manage run-url">Manage</a><button type="button" class="secondary small" hx-post="/apps/${ID}/action" hx-vals="{&quot;action&quot;:&quot;stop&quot;}" hx-swap="none" aria-label="Stop run-url">Stop</button><button type="button" class="secondary small" hx-post="/apps/${ID}/action" hx-vals="{&quot;action&quot;:&quot;restart&quot;}" hx-swap="none" aria-label="Restart run-url">Restart</button></div></article>`,
    );
  });

  test("a failed install: its page, the reason, no quick action (its container is gone); no owner for a user", () => {
    const failed: TileApp = {
      ...running,
      hostname: "err-novmid",
      status: "error",
      statusReason: `<b>boom</b> & "q"`,
      vmid: null,
      node: null,
      health: "unknown",
      healthReason: null,
    };
    expect(appTileHtml(failed, undefined, {})).toBe(
      `<article id="app-${ID}" data-hostname="err-novmid" class="tile"><div class="card-head"><img class="icon" src="${iconPath("gitea")}" alt="" width="40" height="40"/><div class="tile-title"><h2><a class="tile-link" href="/apps/${ID}" title="err-novmid">err-novmid</a></h2><small class="muted">Gitea</small></div></div><p class="tile-status"><span class="badge error" data-status="error">error</span>   <small class="reason">&lt;b&gt;boom&lt;/b&gt; &amp; &quot;q&quot;</small></p><p class="tile-meta">1 core · 1 GiB · 8 GiB</p><div class="actions-row"><a href="/apps/${ID}" class="button-link secondary small" aria-label="Manage err-novmid">Manage</a></div></article>`,
    );
  });

  test("quick actions follow the state: Start for a stopped app, all three for one in error with a container", () => {
    const stopped = quickActionsHtml({ ...running, status: "stopped" }, false);
    expect(stopped).toBe(
      `<button type="button" class="" hx-post="/apps/${ID}/action" hx-vals="{&quot;action&quot;:&quot;start&quot;}" hx-swap="none" aria-label="Start run-url">Start</button>`,
    );
    const error = quickActionsHtml({ ...running, status: "error" }, true);
    expect([...error.matchAll(/>(Start|Stop|Restart)<\/button>/g)].map((m) => m[1])).toEqual([
      "Start",
      "Stop",
      "Restart",
    ]);
    expect(quickActionsHtml({ ...running, status: "deploying" }, true)).toBe("");
  });

  test("memory as people read it: 512 MiB, 1.5 GiB, 2 GiB; cores in the singular for one", () => {
    const meta = (cores: number, memory_mb: number) =>
      appTileHtml({ ...running, resources: { cores, memory_mb, disk_gb: 20 } }, undefined, {}).match(
        /<p class="tile-meta">(.*?)<\/p>/,
      )?.[1];
    expect(meta(4, 512)).toBe("4 cores · 512 MiB · 20 GiB · pve1");
    expect(meta(2, 1536)).toBe("2 cores · 1.5 GiB · 20 GiB · pve1");
    expect(meta(1, 2048)).toBe("1 core · 2 GiB · 20 GiB · pve1");
  });

  test("every value an owner, a store or the catalog controls is escaped", () => {
    const hostile: TileApp = {
      ...running,
      hostname: HOSTILE,
      name: HOSTILE,
      catalogId: HOSTILE,
      node: HOSTILE,
      url: `http://x/?a=1&b="2"<script>`,
      healthReason: HOSTILE,
    };
    const tiles = [
      appTileHtml(hostile, HOSTILE, { to: HOSTILE }),
      appTileHtml({ ...hostile, status: "error", statusReason: HOSTILE }, HOSTILE, {}),
    ];
    for (const html of tiles) {
      expect(html).not.toContain("<img src=x");
      expect(html).not.toContain("<script>");
      expect(html).toContain(`data-hostname="${ESCAPED}"`);
      expect(html).toContain(`title="${ESCAPED}">${ESCAPED}</a>`);
      expect(html).toContain(`<small class="muted">${ESCAPED}</small>`);
      expect(html).toContain(`aria-label="Manage ${ESCAPED}"`);
      expect(html).toContain(`· ${ESCAPED} · ${ESCAPED}</p>`); // node, then owner
      expect(html).toContain(`src="${esc(iconPath(HOSTILE))}"`);
    }
    const [open, failed] = tiles as [string, string];
    expect(open).toContain(`href="http://x/?a=1&amp;b=&quot;2&quot;&lt;script&gt;"`);
    expect(open).toContain(`aria-label="Open ${ESCAPED}"`);
    expect(open).toContain(`title="${ESCAPED}" data-health="degraded"`);
    expect(open).toContain(
      `data-update="${ESCAPED}" title="Version ${ESCAPED} is in the catalog">Update ${ESCAPED}</span>`,
    );
    expect(open).toContain(`aria-label="Stop ${ESCAPED}">Stop</button>`);
    expect(failed).toContain(`<small class="reason">${ESCAPED}</small>`);
  });
});
