//! Private PostgreSQL schemas for tests: each test gets its own schema (`t_<random>`) on the local
//! PostgreSQL (or `DATABASE_URL`), dropped with its rebuild shadow when the guard is dropped, even
//! when the test panics, so tests run in parallel and leave nothing behind.

use sqlx::PgPool;

use crate::db;

/// The PostgreSQL tests use.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A schema of its own for one test; `pool` connects inside it.
pub struct TestSchema {
    pub name: String,
    pub database_url: String,
    pub pool: PgPool,
}

impl TestSchema {
    /// A fresh, not yet created schema name (the projection creates and migrates it).
    pub fn new() -> Self {
        let name = format!("t_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        let database_url = database_url();
        let pool = db::pool(&database_url, &name, 4)
            .unwrap_or_else(|e| panic!("tests need PostgreSQL at {database_url}: {e}"));
        TestSchema {
            name,
            database_url,
            pool,
        }
    }

    /// A schema created and migrated.
    pub async fn prepared() -> Self {
        let schema = Self::new();
        db::prepare(&schema.pool, &schema.name)
            .await
            .unwrap_or_else(|e| panic!("preparing schema {}: {e}", schema.name));
        schema
    }
}

impl Default for TestSchema {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (url, name) = (self.database_url.clone(), self.name.clone());
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = db::connection(&url, "public").await {
                    for schema in [name.clone(), format!("{name}_rebuild")] {
                        let _ = db::drop_schema(&mut conn, &schema).await;
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}
