// htmx 4's <hx-partial> element, for hono/jsx.
import "hono/jsx";

declare module "hono/jsx" {
  namespace JSX {
    interface IntrinsicElements {
      "hx-partial": { "hx-target": string; "hx-swap"?: string; children?: unknown };
    }
  }
}
