CREATE TABLE "catalog_source_entries" (
	"source_id" uuid NOT NULL,
	"catalog_id" text NOT NULL,
	"name" text NOT NULL,
	"status" text NOT NULL,
	"reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"entry" jsonb,
	"icon_png" text
);
--> statement-breakpoint
CREATE TABLE "catalog_sources" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"requested_format" text DEFAULT 'auto' NOT NULL,
	"format" text,
	"status" text DEFAULT 'importing' NOT NULL,
	"error" text,
	"imported" integer DEFAULT 0 NOT NULL,
	"refused" integer DEFAULT 0 NOT NULL,
	"fetched_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "catalog_source_entries" ADD CONSTRAINT "catalog_source_entries_source_id_catalog_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."catalog_sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "catalog_source_entries_pk_idx" ON "catalog_source_entries" USING btree ("source_id","catalog_id");--> statement-breakpoint
CREATE UNIQUE INDEX "catalog_sources_name_idx" ON "catalog_sources" USING btree ("name");