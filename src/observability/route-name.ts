/** Hono route paths (`/apps/:app_id`, `/x/:id{[0-9]+}`) → the guide's `{param}` form (`/apps/{app_id}`). */
export function routeTemplate(name: string): string {
  return name.replace(/:([A-Za-z_][\w-]*)(\{(?:[^{}]|\{[^{}]*\})*\})?\??/g, "{$1}");
}

/** The transaction name of a request: `GET /api/v1/apps/{app_id}`. */
export function transactionName(method: string, routePath: string): string {
  return `${method.toUpperCase()} ${routeTemplate(routePath)}`;
}
