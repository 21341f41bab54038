DROP INDEX "applications_owner_idx";--> statement-breakpoint
CREATE INDEX "applications_created_idx" ON "applications" USING btree ("created_at" DESC NULLS FIRST,"hostname");--> statement-breakpoint
CREATE INDEX "applications_owner_created_idx" ON "applications" USING btree ("owner_id","created_at" DESC NULLS FIRST,"hostname");--> statement-breakpoint
CREATE INDEX "jobs_created_idx" ON "jobs" USING btree ("created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);