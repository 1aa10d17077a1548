-- Source data that QUERY definitions read lives in its own schema, and definition queries on the
-- server's own database run as a role that can read only that schema: a definition cannot read
-- scores, users or API keys, whatever SQL it holds.
CREATE SCHEMA IF NOT EXISTS kpi_source;
--> statement-breakpoint
DO $$
BEGIN
  CREATE ROLE kpi_source_reader NOLOGIN;
EXCEPTION
  WHEN duplicate_object THEN NULL; -- roles belong to the whole cluster: another database of it may have created it
  WHEN insufficient_privilege THEN RAISE WARNING 'could not create role kpi_source_reader: %', SQLERRM;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  -- The server switches to the role with SET LOCAL ROLE, which needs membership (implicit for a superuser).
  EXECUTE format('GRANT kpi_source_reader TO %I', current_user);
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'could not grant kpi_source_reader to %: %', current_user, SQLERRM;
END
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA kpi_source TO kpi_source_reader;
--> statement-breakpoint
GRANT SELECT ON ALL TABLES IN SCHEMA kpi_source TO kpi_source_reader;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA kpi_source GRANT SELECT ON TABLES TO kpi_source_reader;
