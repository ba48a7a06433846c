-- setup.sql — one PostgreSQL database for many lookout daemons: a schema, a role the daemons log in as (it
-- owns the tables, which each daemon creates if missing from lookout's data/schema.sql at every connect), and
-- a read-only role for `lookout report --from-pg` and for people's own queries.
--
-- Run once, as a superuser or the database owner, in the database the daemons will use:
--     createdb lookout
--     psql -v ON_ERROR_STOP=1 -d lookout -f setup.sql
-- then give the two roles passwords (ALTER ROLE ... PASSWORD, or certificate authentication in
-- pg_hba.conf), and put them in each daemon's ~/.pgpass or PGPASSWORD (never in LOOKOUT_PG_URL).
-- Nothing here is specific to one host: every daemon uses the same role; the host column tells them apart.

CREATE ROLE lookout_writer LOGIN;
CREATE ROLE lookout_reader LOGIN;

-- The tables live in their own schema, owned by the writer, so the daemons' CREATE TABLE / CREATE INDEX IF
-- NOT EXISTS work without any right on the public schema.
CREATE SCHEMA lookout AUTHORIZATION lookout_writer;
ALTER ROLE lookout_writer SET search_path = lookout;
ALTER ROLE lookout_reader SET search_path = lookout;

-- Readers: SELECT on every table the writer makes, now and later; nothing else.
GRANT USAGE ON SCHEMA lookout TO lookout_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE lookout_writer IN SCHEMA lookout GRANT SELECT ON TABLES TO lookout_reader;

-- Optional, for a database that already holds a large history from an older lookout: build the newer
-- indexes without blocking the daemons' inserts before upgrading them (each daemon would otherwise build them
-- inside its schema transaction at connect, holding back inserts meanwhile). Run as lookout_writer:
--   SET search_path = lookout;
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS samples_host_ts ON samples (host, ts);
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS alerts_host_ts ON alerts (host, ts);
