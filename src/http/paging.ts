/**
 * One page of a list, as every paged route declares and answers it (apps, app logs, backups, jobs, users,
 * audit, the catalog): the query (`page`, `per_page`), the answer's schema and the answer. The database side
 * is db/paging.ts.
 */
import { z } from "@hono/zod-openapi";

/** The answer to a paged list: `{ items, total, page, per_page }`, each item made public by `toPublic`. */
export function pageOf<R, T>(
  query: { page: number; per_page: number },
  found: { items: R[]; total: number },
  toPublic: (row: R) => T,
) {
  return { items: found.items.map(toPublic), total: found.total, page: query.page, per_page: query.per_page };
}

export const PaginationQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).openapi({ example: 1 }),
  per_page: z.coerce.number().int().min(1).max(100).default(25).openapi({ example: 25 }),
});

export function listSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      items: z.array(item),
      total: z.number().int(),
      page: z.number().int(),
      per_page: z.number().int(),
    })
    .openapi(name);
}
