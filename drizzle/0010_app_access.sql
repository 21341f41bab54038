ALTER TABLE "applications" ADD COLUMN "https_url" text;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "gate" text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "system_role" text;