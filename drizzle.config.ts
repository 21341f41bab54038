import { defineConfig } from "drizzle-kit";

// Only used by `bun run db:generate` to write SQL migrations from src/db/schema.ts into drizzle/.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
});
