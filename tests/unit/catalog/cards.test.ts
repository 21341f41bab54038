/**
 * The catalog's cards are written as one string rather than JSX (src/web/catalog/pages.tsx, entryCard): every
 * value a store controls — name, description, id, store name, category — still reaches the page as text,
 * never as markup, exactly as JSX would write it.
 */
import { describe, expect, test } from "bun:test";
import type { CatalogEntry } from "../../../src/features/catalog/catalog.schemas.ts";
import { CatalogService } from "../../../src/features/catalog/catalog.service.ts";
import { CatalogResults } from "../../../src/web/catalog/pages.tsx";

const catalog = new CatalogService({ log: () => {} });
const base = catalog.get("gitea")!;
const hostile: CatalogEntry = {
  ...base,
  id: `evil"><script>/x'y`,
  name: `<img src=x onerror=alert(1)> & "Gitea"`,
  description: `Runs <script>alert('x')</script> & friends. More.`,
  category: `tools"><b>` as CatalogEntry["category"],
};

function render(entries: CatalogEntry[], extra: Partial<Parameters<typeof CatalogResults>[0]> = {}): string {
  const props = {
    entries,
    total: entries.length,
    q: "",
    category: "",
    categories: catalog.categories(),
    ...extra,
  };
  return String(CatalogResults(props));
}

describe("catalog cards", () => {
  test("a store's name, description, id and category are escaped, in the grid and in the highlights", () => {
    for (const html of [render([hostile]), render([base], { featured: [hostile], recent: [hostile] })]) {
      expect(html).not.toContain("<script>");
      expect(html).not.toContain("<img src=x");
      expect(html).not.toContain("<b>");
      expect(html).toContain("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Gitea&quot;</a>");
      expect(html).toContain("<p>Runs &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; friends.</p>");
      expect(html).toContain(`<span class="tag">tools&quot;&gt;&lt;b&gt;</span>`);
      // The id: percent-encoded in the link; its store's name (before the slash) escaped in the badge.
      expect(html).toContain(`href="/catalog/${encodeURIComponent(hostile.id).replaceAll("'", "&#39;")}"`);
      expect(html).toContain("community · evil&quot;&gt;&lt;script&gt;</span>");
    }
  });

  test("a card: icon, linked name, first sentence, category name; lazy icons past the first screenful", () => {
    const entries = catalog.list({});
    const html = render(entries);
    const cards = html.match(/<article class="entry-card">.*?<\/article>/g)!;
    expect(cards).toHaveLength(Math.min(entries.length, 48));
    const gitea = cards.find((c) => c.includes(">Gitea</a>"))!;
    expect(gitea).toContain(`<a href="/catalog/gitea">Gitea</a>`);
    expect(gitea).toContain(
      `<img class="icon" src="${catalog.iconPath("gitea")}" alt="" width="40" height="40"`,
    );
    expect(gitea).toContain(`<span class="tag">Development</span>`);
    expect(gitea).not.toContain("community");
    expect(cards.slice(0, 12).every((c) => !c.includes('loading="lazy"'))).toBe(true);
    expect(cards.slice(12).every((c) => c.includes('loading="lazy"'))).toBe(true);
  });
});
