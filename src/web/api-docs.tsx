/**
 * /api/v1/docs: the API reference, rendered on the server from the OpenAPI document. (The Scalar viewer
 * used before loads a 3 MB script from a CDN and runs inline scripts, which the page's 'self'-only CSP
 * forbids; the machine-readable document stays at /api/v1/openapi.json for any OpenAPI tool.)
 */
import type { Context } from "hono";
import { raw } from "hono/html";
import { assetUrl } from "./assets.ts";

interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  "x-proximity-role"?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  responses?: Record<string, { description?: string }>;
}

export function apiDocsPage(c: Context, doc: { paths?: object }) {
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const [method, value] of Object.entries(item)) {
      const op = value as Operation;
      const tag = op.tags?.[0] ?? "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ method: method.toUpperCase(), path, op });
    }
  }
  return c.html(
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>Proximity API reference</title>
          <link rel="stylesheet" href={assetUrl("pico.css")} />
          <link rel="stylesheet" href={assetUrl("app.css")} />
        </head>
        <body>
          <main class="container">
            <h1>Proximity API</h1>
            <p>
              Every route below is under this server. Authenticate with <code>POST /api/v1/auth/login</code>{" "}
              and send <code>Authorization: Bearer &lt;access_token&gt;</code>. The full OpenAPI 3.1 document
              (schemas, examples) is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.
            </p>
            {[...byTag].map(([tag, ops]) => (
              <section>
                <h2>{tag}</h2>
                <div class="table-wrap">
                  <table>
                    <tbody>
                      {ops.map(({ method, path, op }) => (
                        <tr>
                          <td>
                            <code>{method}</code>
                          </td>
                          <td>
                            <code>{path}</code>
                          </td>
                          <td>
                            {op.summary}
                            {op["x-proximity-role"] === "admin" ? (
                              <small class="muted"> (admin)</small>
                            ) : null}
                            {op.security?.length ? null : <small class="muted"> (no token)</small>}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </section>
            ))}
          </main>
        </body>
      </html>
    </>,
  );
}
