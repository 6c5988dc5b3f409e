//! The `belportal` command: serve (default), migrate, keys, export, import, openapi, generate.

use std::process::ExitCode;

// mimalloc: the request path allocates many small objects; glibc malloc showed up
// as ~15% of CPU under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use actix_web::{web, HttpServer};
use clap::{Parser, Subcommand};

use belportal::config::Config;
use belportal::db::{self, Backend};
use belportal::{build_app, demo};

#[derive(Parser)]
#[command(
    name = "belportal",
    version,
    about = "Headless JSON content API of a national information and tourism portal"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default): applies migrations, loads demo content into an empty database.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API keys: create (prints the key once, alone on the last line), list, revoke.
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// Print the OpenAPI document (or write it with --output).
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Write all content as NDJSON to standard output (a backup; `import` restores it).
    Export,
    /// Import NDJSON (as `export` writes it; `-` reads standard input): upserted by
    /// type, locale and slug in one transaction; any bad line and nothing is written.
    Import {
        /// The NDJSON file, or `-` for standard input.
        file: std::path::PathBuf,
    },
    /// Add generated articles and places (deterministic, for benchmarks).
    Generate {
        /// How many articles to add.
        #[arg(long, default_value_t = 0)]
        articles: u64,
        /// How many places (tourist sites, UNESCO listings, sanatoria, monuments) to add.
        #[arg(long, default_value_t = 0)]
        places: u64,
        /// Seed of the generator; the same seed gives the same content.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key; its secret is printed once, alone on the last line.
    Create {
        /// `editor` (writes content) or `admin` (also manages keys).
        #[arg(long, value_parser = ["editor", "admin"])]
        role: String,
        /// Who or what uses the key; shown in article revisions.
        #[arg(long)]
        name: String,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id; it fails at once.
    Revoke {
        /// The key's id, from `keys list`.
        id: i64,
    },
}

fn keys(config: Config, action: KeysCommand) -> Result<(), String> {
    use belportal::keys::{self, Role};
    let backend = Backend::from_url(&config.database_url)?;
    db::run_migrations(&backend)?;
    let mut conn = db::Manager::new(backend)
        .connect()
        .map_err(|e| format!("cannot connect: {e}"))?;
    match action {
        KeysCommand::Create { role, name } => {
            let role = Role::parse(&role).ok_or("role must be editor or admin")?;
            let name =
                keys::validate_name(Some(&name)).map_err(|e| format!("--name {}", e.message))?;
            let k = keys::create_key(&mut conn, &name, role).map_err(|e| e.to_string())?;
            println!(
                "created {} key {} (\"{}\", prefix {}); store it now, it is not shown again:",
                k.info.role.as_str(),
                k.info.id,
                k.info.name,
                k.info.prefix
            );
            println!("{}", k.key);
        }
        KeysCommand::List => {
            let all = keys::list_keys(&mut conn).map_err(|e| e.to_string())?;
            println!(
                "{:>5}  {:<7}  {:<8}  {:<25}  {:<25}  name",
                "id", "role", "prefix", "created", "revoked"
            );
            for k in all {
                println!(
                    "{:>5}  {:<7}  {:<8}  {:<25}  {:<25}  {}",
                    k.id,
                    k.role.as_str(),
                    k.prefix,
                    k.created_at.to_rfc3339(),
                    k.revoked_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "-".into()),
                    k.name
                );
            }
        }
        KeysCommand::Revoke { id } => {
            let k = keys::revoke_key(&mut conn, id).map_err(|e| e.to_string())?;
            println!("revoked key {} (\"{}\")", k.id, k.name);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    match belportal::config::LogFormat::from_env() {
        Ok(format) => belportal::logging::init(format),
        Err(e) => {
            eprintln!("belportal: {e}");
            return ExitCode::FAILURE;
        }
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi { output } => print_openapi(output),
        Command::Keys { action } => load_config().and_then(|c| keys(c, action)),
        Command::Serve => load_config().and_then(serve),
        Command::Migrate => load_config().and_then(|c| {
            let backend = Backend::from_url(&c.database_url)?;
            let n = db::run_migrations(&backend)?;
            println!("applied {n} migration(s)");
            Ok(())
        }),
        Command::Export => load_config().and_then(export),
        Command::Import { file } => load_config().and_then(|c| import(c, &file)),
        Command::Generate {
            articles,
            places,
            seed,
        } => load_config().and_then(|c| {
            if articles == 0 && places == 0 {
                return Err("nothing to generate: pass --articles N and/or --places N".into());
            }
            let backend = Backend::from_url(&c.database_url)?;
            db::run_migrations(&backend)?;
            let mut conn = db::Manager::new(backend)
                .connect()
                .map_err(|e| format!("cannot connect: {e}"))?;
            use belportal::demo::generate::{generate_articles_with, generate_places_with};
            use belportal::progress;
            let pb = progress::bar(articles, "articles", false);
            let a = generate_articles_with(&mut conn, articles, seed, &mut |n| pb.inc(n))
                .map_err(|e| e.to_string())?;
            pb.finish_and_clear();
            let pb = progress::bar(places, "places", false);
            let p = generate_places_with(&mut conn, places, seed, &mut |n| pb.inc(n))
                .map_err(|e| e.to_string())?;
            pb.finish_and_clear();
            let pb = progress::spinner("rebuilding the search index", false);
            let indexed =
                belportal::db::search::reindex_all(&mut conn).map_err(|e| e.to_string())?;
            pb.set_message("analyzing");
            db::analyze(&mut conn).map_err(|e| e.to_string())?;
            pb.finish_and_clear();
            println!("generated {a} article(s) and {p} place(s); {indexed} search document(s)");
            Ok(())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("belportal: {e}");
            ExitCode::FAILURE
        }
    }
}

fn transfer_conn(config: &Config) -> Result<db::AnyConnection, String> {
    let backend = Backend::from_url(&config.database_url)?;
    db::run_migrations(&backend)?;
    let mut conn = db::Manager::new(backend)
        .connect()
        .map_err(|e| format!("cannot connect: {e}"))?;
    demo::ensure_reference_data(&mut conn).map_err(|e| e.to_string())?;
    Ok(conn)
}

fn transfer_ctx(config: Config) -> belportal::editorial::SaveCtx {
    let caches = belportal::cache::Caches::new(0);
    belportal::transfer::transfer_ctx(std::sync::Arc::new(config), caches, None)
}

fn export(config: Config) -> Result<(), String> {
    use std::io::Write;
    let mut conn = transfer_conn(&config)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    // One NDJSON line per item.
    let pb = belportal::progress::spinner("exported items", false);
    let n = belportal::transfer::export::export_all(&mut conn, &mut |chunk| {
        pb.inc(chunk.iter().filter(|b| **b == b'\n').count() as u64);
        out.write_all(&chunk)
            .map_err(|e| belportal::error::AppError::Internal(format!("standard output: {e}")))
    })
    .map_err(|e| e.to_string())?;
    out.flush().map_err(|e| format!("standard output: {e}"))?;
    pb.finish_and_clear();
    tracing::info!(items = n, "exported");
    Ok(())
}

fn import(config: Config, file: &std::path::Path) -> Result<(), String> {
    let mut conn = transfer_conn(&config)?;
    let ctx = transfer_ctx(config);
    let started = std::time::Instant::now();
    // Progress counts the bytes read (of the file's size; stdin has no total).
    let (pb, input): (_, Box<dyn std::io::BufRead>) = if file.as_os_str() == "-" {
        let pb = belportal::progress::spinner("importing", true);
        let input = pb.wrap_read(std::io::stdin());
        (
            pb,
            Box::new(std::io::BufReader::with_capacity(1 << 20, input)),
        )
    } else {
        let f = std::fs::File::open(file)
            .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let pb = belportal::progress::bar(len, "importing", true);
        let input = pb.wrap_read(f);
        (
            pb,
            Box::new(std::io::BufReader::with_capacity(1 << 20, input)),
        )
    };
    let store = belportal::media::storage::open_store(&ctx.config)?;
    let report = belportal::transfer::import::import_ndjson(&mut conn, &ctx, store.as_ref(), input);
    pb.finish_and_clear();
    let report = report.map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    println!("{json}");
    if !report.errors.is_empty() {
        return Err(format!(
            "nothing imported: {} error(s) (see the report)",
            report.errors.len()
        ));
    }
    db::analyze(&mut conn).map_err(|e| e.to_string())?;
    tracing::info!(
        created = report.created,
        updated = report.updated,
        seconds = started.elapsed().as_secs_f64(),
        "imported"
    );
    Ok(())
}

fn load_config() -> Result<Config, String> {
    Config::from_env().map_err(|e| e.to_string())
}

fn print_openapi(output: Option<std::path::PathBuf>) -> Result<(), String> {
    let json = belportal::openapi_spec()
        .to_pretty_json()
        .map_err(|e| e.to_string())?;
    match output {
        Some(path) => std::fs::write(&path, json + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            println!("{json}");
            Ok(())
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    let state = belportal::startup::prepare(config.clone())?;
    let state = web::Data::new(state);
    let metrics = belportal::metrics_with(config.metrics_addr.is_none())?;
    let metrics_addr = config.metrics_addr;
    let addr = config.addr;
    let workers = config.workers;
    let blocking = config.pool_size.max(4) as usize;
    let outbox = state.pool.clone();
    let webhook_settings = belportal::webhooks::worker::WorkerSettings::from_config(&config);
    let media_sweep = (state.pool.clone(), state.media.clone());
    let promoted = (state.pool.clone(), state.caches.clone());
    let registry = metrics.registry.clone();
    actix_web::rt::System::new().block_on(async move {
        // Webhook deliveries are sent after commit by this task, never by a request.
        let deliveries = belportal::webhooks::worker::Worker::start(outbox, webhook_settings);
        // Scheduled items are announced, and dropped from the caches, when due.
        let promoter = belportal::changes::promoter::start(promoted.0, promoted.1);
        // Orphaned media and temporary files: swept now and hourly.
        let sweep = belportal::media::sweep::start(media_sweep.0, media_sweep.1);
        let mut server =
            HttpServer::new(move || build_app(state.clone(), metrics.clone())).shutdown_timeout(30);
        if let Some(n) = workers {
            server = server.workers(n);
        }
        // Database work runs on each worker's blocking threads and waits there
        // for one of the pool's connections: threads beyond the pool only wait,
        // and each keeps its allocator's free memory (actix's default allows
        // 512 in all; 32 connections from wrk made ~100 threads and 230 MB).
        server = server.worker_max_blocking_threads(blocking);
        let server = server
            .bind(addr)
            .map_err(|e| format!("cannot listen on {addr} (BELPORTAL_ADDR): {e}"))?;
        tracing::info!(%addr, "belportal listening");
        // `/metrics` on its own listener (BELPORTAL_METRICS_ADDR), stopped with the API.
        let metrics_listener = match metrics_addr {
            Some(a) => {
                let (server, bound) = belportal::ops::metrics_server(registry, a)?;
                tracing::info!(addr = %bound, "metrics listening");
                let handle = server.handle();
                actix_web::rt::spawn(server);
                Some(handle)
            }
            None => None,
        };
        // SIGTERM and SIGINT stop accepting, then drain in-flight requests (up to 30 s).
        let served = server.run().await.map_err(|e| e.to_string());
        if let Some(handle) = metrics_listener {
            handle.stop(true).await;
        }
        deliveries.stop().await;
        promoter.abort();
        sweep.abort();
        served
    })
}
