-- Run once by the postgres image on a new data directory (docker-compose.yml mounts it into
-- /docker-entrypoint-initdb.d): a read-only role for Grafana. The projection (connecting as
-- postgres) creates schema giro and its tables later, and `giro projection rebuild` replaces
-- the schema, so the grants are default privileges: every schema and table postgres creates.
CREATE ROLE grafana LOGIN;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT USAGE ON SCHEMAS TO grafana;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT SELECT ON TABLES TO grafana;
