CREATE TYPE "public"."batch_status" AS ENUM('queued', 'running', 'done', 'failed');--> statement-breakpoint
CREATE TABLE "calculation_batches" (
	"run_id" integer NOT NULL,
	"batch_no" integer NOT NULL,
	"user_kpi_ids" integer[] NOT NULL,
	"status" "batch_status" DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"heartbeat_at" timestamp with time zone,
	"succeeded" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"undefined_count" integer DEFAULT 0 NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "calculation_batches_run_id_batch_no_pk" PRIMARY KEY("run_id","batch_no")
);
--> statement-breakpoint
ALTER TABLE "calculation_runs" ADD COLUMN "undefined_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "calculation_runs" ADD COLUMN "selection" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "calculation_runs" ADD COLUMN "period_containing" date;--> statement-breakpoint
ALTER TABLE "calculation_runs" ADD COLUMN "today" date DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "calculation_runs" ADD COLUMN "batches" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "calculation_batches" ADD CONSTRAINT "calculation_batches_run_id_calculation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."calculation_runs"("id") ON DELETE cascade ON UPDATE no action;