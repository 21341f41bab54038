ALTER TABLE "applications" ADD COLUMN "port" integer;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "port_scheme" text;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "script_slug" text;