CREATE TABLE "backup_schedules" (
	"app_id" uuid PRIMARY KEY NOT NULL,
	"cron" text NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"keep_last" integer DEFAULT 0 NOT NULL,
	"keep_daily" integer DEFAULT 0 NOT NULL,
	"keep_weekly" integer DEFAULT 0 NOT NULL,
	"keep_monthly" integer DEFAULT 0 NOT NULL,
	"mode" text DEFAULT 'snapshot' NOT NULL,
	"compress" text DEFAULT 'zstd' NOT NULL,
	"storage" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"last_slot_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "backups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"app_id" uuid,
	"app_hostname" text NOT NULL,
	"owner_id" uuid,
	"host_id" uuid,
	"node" text NOT NULL,
	"vmid" integer NOT NULL,
	"storage" text NOT NULL,
	"status" text DEFAULT 'creating' NOT NULL,
	"mode" text NOT NULL,
	"compress" text NOT NULL,
	"trigger" text DEFAULT 'manual' NOT NULL,
	"volid" text,
	"size" bigint,
	"backup_time" timestamp with time zone,
	"upid" text,
	"job_id" uuid,
	"error" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "backup_schedules" ADD CONSTRAINT "backup_schedules_app_id_applications_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backups" ADD CONSTRAINT "backups_app_id_applications_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."applications"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backups" ADD CONSTRAINT "backups_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backups" ADD CONSTRAINT "backups_host_id_proxmox_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."proxmox_hosts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "backups_app_idx" ON "backups" USING btree ("app_id","created_at");--> statement-breakpoint
CREATE INDEX "backups_owner_idx" ON "backups" USING btree ("owner_id");--> statement-breakpoint
CREATE UNIQUE INDEX "backups_host_volid_idx" ON "backups" USING btree ("host_id","volid");