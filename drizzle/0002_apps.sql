CREATE TABLE "applications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"host_id" uuid NOT NULL,
	"node" text,
	"vmid" integer,
	"catalog_id" text,
	"catalog_version" text,
	"name" text NOT NULL,
	"hostname" text NOT NULL,
	"status" text NOT NULL,
	"status_reason" text,
	"previous_status" text,
	"state_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ip" text,
	"url" text,
	"resources" jsonb NOT NULL,
	"environment" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"secret_env_enc" text,
	"root_password_enc" text,
	"adopted" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deployment_logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"app_id" uuid NOT NULL,
	"job_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"level" text DEFAULT 'info' NOT NULL,
	"step" text,
	"message" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_host_id_proxmox_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."proxmox_hosts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployment_logs" ADD CONSTRAINT "deployment_logs_app_id_applications_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "applications_hostname_idx" ON "applications" USING btree (lower("hostname"));--> statement-breakpoint
CREATE UNIQUE INDEX "applications_host_vmid_idx" ON "applications" USING btree ("host_id","vmid");--> statement-breakpoint
CREATE INDEX "applications_owner_idx" ON "applications" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "applications_status_idx" ON "applications" USING btree ("status");--> statement-breakpoint
CREATE INDEX "deployment_logs_app_idx" ON "deployment_logs" USING btree ("app_id","id");