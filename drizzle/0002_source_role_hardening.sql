-- SET LOCAL ROLE kpi_source_reader is not a boundary on its own: any query can call
-- set_config('role', 'none', true) to return to the server's role and then read any table (for
-- example through query_to_xml). Taking EXECUTE on set_config from PUBLIC closes that door while a
-- definition's query runs as kpi_source_reader; the server's own role keeps it, and our SET LOCAL
-- statements do not use it. Needs ownership of pg_catalog functions (a superuser migration); where
-- that is not possible, give the `default` source connection its own login role instead (README).
DO $$
BEGIN
  REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC;
  EXECUTE format('GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) TO %I', current_user);
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'could not restrict set_config (%): run definition queries on a separate login role', SQLERRM;
END
$$;
