//! The S3-compatible media store (`BELPORTAL_MEDIA_URL=s3://bucket/prefix`)
//! through the `object_store` crate, so every node behind a load balancer
//! serves the same files. Objects are named `<prefix>/<name>`; the store's
//! own async client runs on one small runtime of its own, and the blocking
//! `MediaStore` methods wait for it (they are called on the blocking pool, or
//! at start before any runtime runs).

use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::web::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};

use super::storage::{is_valid_name, MediaStore, StoredFile};
use crate::config::S3Settings;

/// Requests to the object store run here, never on an actix worker (a
/// current-thread runtime each) and never on the caller's thread: waiting for
/// a result over a channel works from any thread, async or not. Built once,
/// never dropped (a runtime must not be dropped inside another).
fn runtime() -> io::Result<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("belportal-media")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| io::Error::other(format!("media store runtime: {e}")))
}

/// Runs `fut` on the media runtime and waits for its output.
fn wait<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> io::Result<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime()?.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .map_err(|_| io::Error::other("media store request was cancelled"))
}

fn io_err(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, e),
        e => io::Error::other(e),
    }
}

/// A bucket (and key prefix) of an object store.
#[derive(Debug, Clone)]
pub struct ObjectMediaStore {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    url: String,
    scratch: PathBuf,
}

impl ObjectMediaStore {
    /// The store of `s`; checks at once that the bucket answers (a listing
    /// of the prefix), so a wrong bucket, endpoint or key stops the start.
    pub fn connect(s: &S3Settings) -> Result<Self, String> {
        // The usual variables (session tokens, web identity, ...) first; the
        // settings read by `Config` override them.
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(&s.bucket)
            .with_allow_http(s.allow_http);
        if let Some(v) = &s.endpoint {
            b = b.with_endpoint(v);
        }
        if let Some(v) = &s.region {
            b = b.with_region(v);
        }
        if let Some(v) = &s.access_key_id {
            b = b.with_access_key_id(v);
        }
        if let Some(v) = &s.secret_access_key {
            b = b.with_secret_access_key(v);
        }
        if let Some(v) = &s.session_token {
            b = b.with_token(v);
        }
        let url = s.url();
        let store = b
            .build()
            .map_err(|e| format!("media store {url} (BELPORTAL_MEDIA_URL): {e}"))?;
        let prefix = Path::parse(&s.prefix)
            .map_err(|e| format!("media store {url}: bad key prefix: {e}"))?;
        let scratch = std::env::temp_dir().join("belportal-uploads");
        let m = ObjectMediaStore {
            store: Arc::new(store),
            prefix,
            url,
            scratch,
        };
        m.check()?;
        Ok(m)
    }

    fn check(&self) -> Result<(), String> {
        let (store, prefix) = (self.store.clone(), self.prefix.clone());
        wait(async move { store.list_with_delimiter(Some(&prefix)).await })
            .map_err(|e| e.to_string())?
            .map_err(|e| {
                format!(
                    "media store {} (BELPORTAL_MEDIA_URL) does not answer: {e}",
                    self.url
                )
            })?;
        Ok(())
    }

    /// `s3://bucket/prefix`.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn path(&self, name: &str) -> io::Result<Path> {
        if !is_valid_name(name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a media file name: {name:?}"),
            ));
        }
        Ok(self.prefix.clone().join(name))
    }

    /// Every object under the prefix (the sweep's listing, test clean-up).
    fn list_all(&self) -> io::Result<Vec<object_store::ObjectMeta>> {
        let (store, prefix) = (self.store.clone(), self.prefix.clone());
        wait(async move {
            let mut out = Vec::new();
            let mut s = store.list(Some(&prefix));
            while let Some(m) = s.next().await {
                out.push(m?);
            }
            Ok::<_, object_store::Error>(out)
        })?
        .map_err(io_err)
    }

    /// The name of `location` when it is a media file directly under the prefix.
    fn name_of<'a>(&self, location: &'a Path) -> Option<&'a str> {
        let name = location.filename()?;
        (self.prefix.clone().join(name) == *location && is_valid_name(name)).then_some(name)
    }
}

impl MediaStore for ObjectMediaStore {
    fn put(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        // Same name, same size: content addressing makes the write redundant
        // (the demo images at every start, identical uploads). Otherwise one
        // PUT: the object appears whole or not at all.
        let (store, path) = (self.store.clone(), self.path(name)?);
        let len = bytes.len() as u64;
        let payload = PutPayload::from(bytes.to_vec());
        wait(async move {
            match store.head(&path).await {
                Ok(meta) if meta.size == len => return Ok(()),
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
            store.put(&path, payload).await.map(|_| ())
        })?
        .map_err(io_err)
    }

    fn get(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        let (store, path) = (self.store.clone(), self.path(name)?);
        match wait(async move { store.get(&path).await?.bytes().await })? {
            Ok(b) => Ok(Some(b.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(io_err(e)),
        }
    }

    fn open(&self, name: &str) -> io::Result<Option<StoredFile>> {
        let (store, path) = (self.store.clone(), self.path(name)?);
        let head = {
            let (store, path) = (store.clone(), path.clone());
            wait(async move { store.head(&path).await })?
        };
        match head {
            Ok(meta) => Ok(Some(StoredFile {
                len: meta.size,
                reader: Box::new(ObjectReader {
                    store,
                    path,
                    len: meta.size,
                    pos: 0,
                    body: None,
                    buf: Bytes::new(),
                }),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(io_err(e)),
        }
    }

    fn delete(&self, name: &str) -> io::Result<()> {
        let (store, path) = (self.store.clone(), self.path(name)?);
        match wait(async move { store.delete(&path).await })? {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(io_err(e)),
        }
    }

    fn exists(&self, name: &str) -> io::Result<bool> {
        let (store, path) = (self.store.clone(), self.path(name)?);
        match wait(async move { store.head(&path).await })? {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(io_err(e)),
        }
    }

    fn scratch_dir(&self) -> io::Result<PathBuf> {
        // Upload spools stay on the node: they are decoded here, then put.
        std::fs::create_dir_all(&self.scratch)?;
        Ok(self.scratch.clone())
    }

    fn stored_older_than(&self, age: Duration) -> io::Result<Vec<String>> {
        let now = chrono::Utc::now();
        Ok(self
            .list_all()?
            .iter()
            .filter(|m| {
                (now - m.last_modified)
                    .to_std()
                    .is_ok_and(|elapsed| elapsed >= age)
            })
            .filter_map(|m| self.name_of(&m.location).map(str::to_string))
            .collect())
    }

    fn remove_stale_temp(&self, age: Duration) -> io::Result<usize> {
        // A PUT leaves no partial object; only local upload spools can be stale.
        super::storage::remove_old_files(&self.scratch, age)
    }
}

/// A stored object read front to back with ranged GETs: a seek drops the
/// response in flight, the next read asks for the rest from the new position.
struct ObjectReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
    len: u64,
    pos: u64,
    body: Option<BoxStream<'static, object_store::Result<Bytes>>>,
    buf: Bytes,
}

impl Read for ObjectReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() || self.pos >= self.len {
            return Ok(0);
        }
        while self.buf.is_empty() {
            let body = match self.body.take() {
                Some(b) => b,
                None => {
                    let (store, path) = (self.store.clone(), self.path.clone());
                    let opts = GetOptions {
                        range: Some(GetRange::Bounded(self.pos..self.len)),
                        ..GetOptions::default()
                    };
                    wait(async move { store.get_opts(&path, opts).await })?
                        .map_err(io_err)?
                        .into_stream()
                }
            };
            let (body, next) = wait(async move {
                let mut body = body;
                let next = body.next().await;
                (body, next)
            })?;
            match next {
                Some(chunk) => {
                    self.buf = chunk.map_err(io_err)?;
                    self.body = Some(body);
                }
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the stored object ended early",
                    ))
                }
            }
        }
        let n = out.len().min(self.buf.len());
        out[..n].copy_from_slice(&self.buf.split_to(n));
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ObjectReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        if target != self.pos {
            self.body = None;
            self.buf = Bytes::new();
            self.pos = target;
        }
        Ok(self.pos)
    }
}

/// Removes every object under the store's prefix (test buckets, `belportal`
/// never calls it on its own); returns how many.
pub fn remove_all(store: &ObjectMediaStore) -> io::Result<usize> {
    let all = store.list_all()?;
    let n = all.len();
    for m in all {
        let s = store.store.clone();
        wait(async move { s.delete(&m.location).await })?.map_err(io_err)?;
    }
    Ok(n)
}
