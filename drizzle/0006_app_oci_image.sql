ALTER TABLE "applications" ADD COLUMN "oci_image" text;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "oci_template" text;--> statement-breakpoint
ALTER TABLE "backups" ADD COLUMN "catalog_version" text;--> statement-breakpoint
ALTER TABLE "backups" ADD COLUMN "oci_image" text;