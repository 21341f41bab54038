/**
 * Catalog search: every word of the query must match an entry somewhere, and entries are ranked by where
 * it matched (the name before the tags, the tags before the description). A word of four letters or more
 * also matches a name word, id or tag one typo away ("nextclod", "vaultwardn"), two for nine letters or
 * more, so a slip of the finger still finds the app.
 */
import type { CatalogEntry } from "./catalog.schemas.ts";

interface Fields {
  name: string;
  /** Words of the name, the id and the tags: what a typo is forgiven against. */
  words: string[];
  tags: string[];
  text: string;
}

const cache = new WeakMap<CatalogEntry, Fields>();

function fieldsOf(e: CatalogEntry): Fields {
  let f = cache.get(e);
  if (!f) {
    const name = e.name.toLowerCase();
    const tags = e.tags.map((t) => t.toLowerCase());
    f = {
      name,
      words: [...new Set([...name.split(/[^a-z0-9]+/), ...e.id.split("-"), e.id, ...tags].filter(Boolean))],
      tags,
      text: [e.id, name, e.description.toLowerCase(), ...tags].join("\n"),
    };
    cache.set(e, f);
  }
  return f;
}

/** Optimal string alignment distance (Damerau–Levenshtein with adjacent swaps), stopping past `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, rows[i - 2]![j - 2]! + 1);
      row.push(v);
      best = Math.min(best, v);
    }
    if (best > max) return max + 1;
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** How well one query word matches an entry: 0 for not at all. */
function wordScore(f: Fields, w: string): number {
  if (f.name === w) return 100;
  if (f.name.startsWith(w)) return 70;
  if (f.words.some((x) => x === w)) return 60;
  if (f.words.some((x) => x.startsWith(w))) return 45;
  if (f.tags.some((t) => t.includes(w))) return 35;
  if (f.text.includes(w)) return 15;
  if (w.length >= 4) {
    const max = w.length >= 9 ? 2 : 1;
    // A prefix typed with a slip ("jellyfi" for "jellyf…") counts as well as a whole word.
    if (
      f.words.some((x) => editDistance(w, x, max) <= max || editDistance(w, x.slice(0, w.length), max) <= max)
    )
      return 10;
  }
  return 0;
}

/** The entries matching every word, best first (ties keep the given order: by name). */
export function rankEntries(entries: CatalogEntry[], query: string): CatalogEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return entries;
  const scored: { e: CatalogEntry; score: number; i: number }[] = [];
  entries.forEach((e, i) => {
    const f = fieldsOf(e);
    let score = 0;
    for (const w of words) {
      const s = wordScore(f, w);
      if (s === 0) return;
      score += s;
    }
    scored.push({ e, score, i });
  });
  return scored.sort((a, b) => b.score - a.score || a.i - b.i).map((s) => s.e);
}
