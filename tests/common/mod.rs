//! TestApp: a fresh database per test (a temporary SQLite file, or a new
//! PostgreSQL database when TEST_POSTGRES_URL is set), dropped afterwards.
#![allow(dead_code)]

use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::web;
use actix_web_prom::PrometheusMetrics;
use belportal::config::Config;
use belportal::db::{self, AnyConnection, Backend};
use belportal::{build_app, demo, AppState};
use diesel::connection::SimpleConnection;
use diesel::Connection;

mod macros;
pub mod search;

pub enum Kind {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub state: web::Data<AppState>,
    pub metrics: PrometheusMetrics,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: actix_web::web::Bytes,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    /// Asserts an RFC 9457 problem with this status and returns its JSON.
    pub fn problem(&self, status: u16) -> serde_json::Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "problem content type for {status}"
        );
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(p["title"].is_string() && p["detail"].is_string() && p["type"].is_string());
        p
    }
}

/// The PostgreSQL server URL for tests, if configured.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

pub fn with_database(url: &str, name: &str) -> String {
    let mut u = url::Url::parse(url).unwrap_or_else(|e| panic!("TEST_POSTGRES_URL: {e}"));
    u.set_path(&format!("/{name}"));
    u.to_string()
}

impl TestApp {
    /// A migrated database with the reference data and the demo content.
    pub async fn new(kind: Kind) -> Option<TestApp> {
        Self::new_with(kind, |_| {}).await
    }

    /// The demo content, served with `tweak`ed settings.
    pub async fn new_with(kind: Kind, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let app = Self::empty_with(kind, tweak).await?;
        let state = app.state.clone();
        web::block(move || {
            let mut conn = state.pool.get().expect("connection");
            db::unbounded(&mut conn, |c| {
                demo::load_demo_content(c, state.media.as_ref())
            })
            .expect("demo content");
        })
        .await
        .expect("blocking");
        Some(app)
    }

    /// A migrated database with only the reference data. `None` when the backend
    /// is PostgreSQL and TEST_POSTGRES_URL is unset (plain `cargo test`).
    pub async fn empty(kind: Kind) -> Option<TestApp> {
        Self::empty_with(kind, |_| {}).await
    }

    /// An empty database served with `tweak`ed settings.
    pub async fn empty_with(kind: Kind, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        // Per test: the SQLite file (when SQLite) and the media files.
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, pg_drop) = match kind {
            Kind::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                (url, None)
            }
            Kind::Postgres => {
                let admin = postgres_url()?;
                let name = format!("bp_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = diesel::PgConnection::establish(&admin).unwrap_or_else(|e| {
                    panic!("TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}")
                });
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                (with_database(&admin, &name), Some((admin, name)))
            }
        };
        let config = Config {
            database_url: url.clone(),
            demo: false,
            pool_size: 4,
            // Tests change rows behind the API's back; the cache has its own test.
            response_cache_ms: Some(0),
            // Tests send many requests from no address; the limiter has its own tests.
            rate_limit: 0,
            cors_origins: vec!["https://editor.example.org".into()],
            media_dir: dir.path().join("media"),
            ..Config::default()
        };
        let mut config = config;
        tweak(&mut config);
        let backend = Backend::from_url(&url).expect("backend");
        let b = backend.clone();
        web::block(move || db::run_migrations(&b))
            .await
            .expect("blocking")
            .expect("migrations");
        let mut state = AppState::new(config).expect("state");
        // Media files die with the test: no need to sync them to disk.
        state.media = std::sync::Arc::new(belportal::media::storage::FsStore::without_sync(
            dir.path().join("media"),
        ));
        let state = web::Data::new(state);
        let s = state.clone();
        web::block(move || {
            let mut conn = s.pool.get().expect("connection");
            // Setup, not a request: not bound by a test's tiny read timeout.
            db::unbounded(&mut conn, demo::ensure_reference_data).expect("reference data");
        })
        .await
        .expect("blocking");
        Some(TestApp {
            state,
            metrics: belportal::metrics().expect("metrics"),
            backend,
            _dir: Some(dir),
            pg_drop,
        })
    }

    pub async fn send(&self, req: TestRequest) -> Resp {
        let svc = test::init_service(build_app(self.state.clone(), self.metrics.clone())).await;
        let res = test::call_service(&svc, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let body = test::read_body(res).await;
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Resp {
        self.send(TestRequest::get().uri(uri)).await
    }

    /// A new API key with this role (`editor` or `admin`).
    pub async fn key(&self, role: &str) -> String {
        let role = belportal::keys::Role::parse(role).expect("role");
        let name = format!("{} desk", role.as_str());
        self.with_conn(move |c| {
            belportal::keys::create_key(c, &name, role)
                .expect("create key")
                .key
        })
        .await
    }

    /// A JSON write with a bearer key.
    pub async fn write(
        &self,
        method: actix_web::http::Method,
        uri: &str,
        key: &str,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let mut req = TestRequest::default()
            .method(method)
            .uri(uri)
            .insert_header(("Authorization", format!("Bearer {key}")));
        if let Some(b) = body {
            req = req.set_json(b);
        }
        self.send(req).await
    }

    pub async fn post(&self, uri: &str, key: &str, body: serde_json::Value) -> Resp {
        self.write(actix_web::http::Method::POST, uri, key, Some(body))
            .await
    }

    pub async fn patch(&self, uri: &str, key: &str, body: serde_json::Value) -> Resp {
        self.write(actix_web::http::Method::PATCH, uri, key, Some(body))
            .await
    }

    pub async fn delete(&self, uri: &str, key: &str) -> Resp {
        self.write(actix_web::http::Method::DELETE, uri, key, None)
            .await
    }

    /// A GET with a bearer key (previews).
    pub async fn get_as(&self, uri: &str, key: &str) -> Resp {
        self.send(
            TestRequest::get()
                .uri(uri)
                .insert_header(("Authorization", format!("Bearer {key}"))),
        )
        .await
    }

    /// Starts a webhook delivery worker on this database (stop it with `.stop().await`).
    pub fn start_webhooks(
        &self,
        settings: belportal::webhooks::worker::WorkerSettings,
    ) -> belportal::webhooks::worker::Worker {
        belportal::webhooks::worker::Worker::start(self.state.pool.clone(), settings)
    }

    /// Runs raw statements on the test database (to set up states no endpoint creates yet).
    pub async fn exec(&self, sql: &str) {
        let state = self.state.clone();
        let sql = sql.to_string();
        web::block(move || {
            let mut conn = state.pool.get().expect("connection");
            conn.batch_execute(&sql).expect("sql");
        })
        .await
        .expect("blocking");
    }

    pub async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> T + Send + 'static,
    ) -> T {
        let state = self.state.clone();
        web::block(move || {
            let mut conn = state.pool.get().expect("connection");
            f(&mut conn)
        })
        .await
        .expect("blocking")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_drop.take() {
            if let Ok(mut conn) = diesel::PgConnection::establish(&admin) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// An empty database (not migrated) and a media directory, dropped afterwards:
/// for tests that start nodes themselves (`belportal::startup::prepare`).
pub struct FreshDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_drop: Option<(String, String)>,
}

impl FreshDb {
    /// `None` on PostgreSQL when TEST_POSTGRES_URL is unset.
    pub fn new(kind: Kind) -> Option<FreshDb> {
        match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Some(FreshDb {
                    url,
                    dir,
                    pg_drop: None,
                })
            }
            Kind::Postgres => Some(FreshDb::on_server(&postgres_url()?)),
        }
    }

    /// A new database on the PostgreSQL server `admin` (a URL with rights to
    /// create databases), dropped afterwards.
    pub fn on_server(admin: &str) -> FreshDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let name = format!("bp_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = diesel::PgConnection::establish(admin)
            .unwrap_or_else(|e| panic!("PostgreSQL is unreachable: {e}"));
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        FreshDb {
            url: with_database(admin, &name),
            dir,
            pg_drop: Some((admin.to_string(), name)),
        }
    }

    /// The settings of a node on this database (test defaults, demo off).
    pub fn config(&self) -> Config {
        Config {
            database_url: self.url.clone(),
            demo: false,
            pool_size: 4,
            response_cache_ms: Some(0),
            rate_limit: 0,
            media_dir: self.dir.path().join("media"),
            ..Config::default()
        }
    }

    /// The database name on PostgreSQL.
    pub fn pg_name(&self) -> Option<&str> {
        self.pg_drop.as_ref().map(|(_, n)| n.as_str())
    }

    /// A TestApp serving `state` (a node started on this database).
    pub fn app(&self, state: AppState) -> TestApp {
        let backend = state.backend.clone();
        TestApp {
            state: web::Data::new(state),
            metrics: belportal::metrics().expect("metrics"),
            backend,
            _dir: None,
            pg_drop: None,
        }
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_drop.take() {
            if let Ok(mut conn) = diesel::PgConnection::establish(&admin) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// The ids of a list response's `data`, in order.
pub fn ids(list: &serde_json::Value) -> Vec<i64> {
    list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|x| x["id"].as_i64().expect("id"))
        .collect()
}
