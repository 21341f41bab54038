/** Route paths seen so far → their template: an app has a few hundred routes, each worked out once. */
const templates = new Map<string, string>();
const MAX_TEMPLATES = 5000;

/** Hono route paths (`/apps/:app_id`, `/x/:id{[0-9]+}`) → the guide's `{param}` form (`/apps/{app_id}`). */
export function routeTemplate(name: string): string {
  let t = templates.get(name);
  if (t === undefined) {
    t = name.replace(/:([A-Za-z_][\w-]*)(\{(?:[^{}]|\{[^{}]*\})*\})?\??/g, "{$1}");
    if (templates.size < MAX_TEMPLATES) templates.set(name, t);
  }
  return t;
}

/** The transaction name of a request: `GET /api/v1/apps/{app_id}`. */
export function transactionName(method: string, routePath: string): string {
  return `${method.toUpperCase()} ${routeTemplate(routePath)}`;
}
