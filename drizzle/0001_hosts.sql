CREATE TABLE "proxmox_hosts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"api_url" text NOT NULL,
	"auth_kind" text NOT NULL,
	"token_id" text,
	"token_secret_enc" text,
	"username" text,
	"password_enc" text,
	"verify_tls" boolean DEFAULT true NOT NULL,
	"fingerprint" text,
	"ssh_host" text,
	"ssh_port" integer DEFAULT 22 NOT NULL,
	"ssh_username" text DEFAULT 'root' NOT NULL,
	"ssh_password_enc" text,
	"ssh_private_key_enc" text,
	"is_default" boolean DEFAULT false NOT NULL,
	"is_simulator" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'unknown' NOT NULL,
	"last_error" text,
	"pve_version" text,
	"last_synced_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "proxmox_nodes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"host_id" uuid NOT NULL,
	"name" text NOT NULL,
	"status" text NOT NULL,
	"ip" text,
	"cpu" jsonb,
	"max_cpu" integer,
	"mem" bigint,
	"max_mem" bigint,
	"uptime" integer,
	"storage" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ssh_host_keys" (
	"host_id" uuid NOT NULL,
	"address" text NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "proxmox_nodes" ADD CONSTRAINT "proxmox_nodes_host_id_proxmox_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."proxmox_hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ssh_host_keys" ADD CONSTRAINT "ssh_host_keys_host_id_proxmox_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."proxmox_hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "proxmox_hosts_name_idx" ON "proxmox_hosts" USING btree (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "proxmox_nodes_host_name_idx" ON "proxmox_nodes" USING btree ("host_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "ssh_host_keys_host_address_idx" ON "ssh_host_keys" USING btree ("host_id","address");