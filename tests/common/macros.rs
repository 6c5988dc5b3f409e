//! `both_backends!`: every integration test runs on SQLite and on PostgreSQL.

/// Defines a test that runs once on SQLite and once on PostgreSQL (the latter only
/// when TEST_POSTGRES_URL is set; `.ci/run` sets it, so CI always runs both).
#[macro_export]
macro_rules! both_backends {
    // With settings changed from the test defaults: `config = |c| ...,`.
    (config = $tweak:expr, $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::common::TestApp) $body

            #[actix_web::test]
            async fn on_sqlite() {
                let app = $crate::common::TestApp::new_with($crate::common::Kind::Sqlite, $tweak).await.expect("sqlite");
                run(app).await;
            }

            #[actix_web::test]
            async fn on_postgres() {
                match $crate::common::TestApp::new_with($crate::common::Kind::Postgres, $tweak).await {
                    Some(app) => run(app).await,
                    None => eprintln!("TEST_POSTGRES_URL unset: PostgreSQL variant not run"),
                }
            }
        }
    };
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        both_backends!(config = |_| {}, $(#[$meta])* async fn $name($app) $body);
    };
}
