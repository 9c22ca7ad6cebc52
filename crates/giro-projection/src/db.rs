//! PostgreSQL: pools whose connections live in one schema, migrations, and the checkpoint row.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::error::Error;

/// The checkpoint row of the read models: one projection over every order kind, fed by one
/// consumer of `<prefix>.evt.>`.
pub(crate) const PROJECTION: &str = "orders";

/// Connection options with `search_path` set to `schema`, so every unqualified table name (and
/// sqlx's `_sqlx_migrations`) lives in it.
pub(crate) fn options(database_url: &str, schema: &str) -> Result<PgConnectOptions, Error> {
    let options: PgConnectOptions = database_url
        .parse()
        .map_err(|e| Error::Config(format!("DATABASE_URL is not a PostgreSQL URL: {e}")))?;
    Ok(options
        .application_name("giro-projection")
        .options([("search_path", schema)]))
}

/// A pool of connections in `schema` (connected lazily: an unreachable server surfaces on use).
pub(crate) fn pool(database_url: &str, schema: &str, max: u32) -> Result<PgPool, Error> {
    Ok(PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options(database_url, schema)?))
}

/// One connection outside any pool, for session-level advisory locks.
pub(crate) async fn connection(database_url: &str, schema: &str) -> Result<PgConnection, Error> {
    Ok(PgConnection::connect_with(&options(database_url, schema)?).await?)
}

/// `"name"`: the schema names are validated identifiers, quoted all the same.
pub(crate) fn quoted(schema: &str) -> String {
    format!("\"{}\"", schema.replace('"', "\"\""))
}

/// Creates the schema if needed and applies the embedded migrations. sqlx holds an advisory lock
/// while migrating, so instances starting together do not race.
pub(crate) async fn prepare(pool: &PgPool, schema: &str) -> Result<(), Error> {
    let mut migrator = sqlx::migrate!();
    migrator.create_schema(quoted(schema));
    migrator.run(pool).await.map_err(|source| Error::Migrate {
        schema: schema.to_string(),
        source,
    })?;
    sqlx::query(
        "INSERT INTO checkpoints (name, last_sequence) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING",
    )
    .bind(PROJECTION)
    .execute(pool)
    .await?;
    Ok(())
}

/// The last stream sequence applied (0 before the first event).
pub(crate) async fn checkpoint(pool: &PgPool) -> Result<u64, Error> {
    let last: i64 = sqlx::query_scalar("SELECT last_sequence FROM checkpoints WHERE name = $1")
        .bind(PROJECTION)
        .fetch_optional(pool)
        .await?
        .unwrap_or(0);
    Ok(u64::try_from(last).unwrap_or(0))
}

/// Drops a schema and everything in it.
pub(crate) async fn drop_schema(conn: &mut PgConnection, schema: &str) -> Result<(), Error> {
    let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", quoted(schema));
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Replaces `schema` by `rebuilt` in one transaction: readers see the old tables or the new ones,
/// never none.
pub(crate) async fn swap(
    conn: &mut PgConnection,
    schema: &str,
    rebuilt: &str,
) -> Result<(), Error> {
    let sql = format!(
        "DROP SCHEMA IF EXISTS {s} CASCADE; ALTER SCHEMA {r} RENAME TO {s}",
        s = quoted(schema),
        r = quoted(rebuilt)
    );
    let mut tx = conn.begin().await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes the session-level lock that makes one rebuild of `schema` run at a time; false when
/// another session holds it.
pub(crate) async fn try_rebuild_lock(conn: &mut PgConnection, schema: &str) -> Result<bool, Error> {
    Ok(sqlx::query_scalar(
        "SELECT pg_try_advisory_lock(hashtext('giro-projection rebuild ' || $1))",
    )
    .bind(schema)
    .fetch_one(&mut *conn)
    .await?)
}

/// Converts a stream sequence or version for a `bigint` column (JetStream's never exceed it).
pub(crate) fn bigint(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Drops the current schema's indexes other than primary keys and unique ones, returning their
/// definitions: a rebuild loads into bare tables and indexes once at the end, which is far cheaper
/// than maintaining every index on every row it writes.
pub(crate) async fn drop_secondary_indexes(pool: &PgPool) -> Result<Vec<String>, Error> {
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.relname::text, pg_get_indexdef(i.oid) FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND NOT x.indisprimary AND NOT x.indisunique",
    )
    .fetch_all(pool)
    .await?;
    for (name, _) in &indexes {
        let sql = format!("DROP INDEX {}", quoted(name));
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
    }
    Ok(indexes.into_iter().map(|(_, def)| def).collect())
}

/// Creates indexes from their definitions (as [`drop_secondary_indexes`] returned them).
pub(crate) async fn create_indexes(pool: &PgPool, definitions: &[String]) -> Result<(), Error> {
    for def in definitions {
        sqlx::query(sqlx::AssertSqlSafe(def.clone()))
            .execute(pool)
            .await?;
    }
    Ok(())
}
