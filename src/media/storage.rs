//! Where media files live. Names are content-addressed (`<sha256 hex>.<ext>`), so a
//! file never changes once written. Two stores implement the trait: files in one
//! directory (`FsStore`, the default) and an S3-compatible bucket
//! (`object::ObjectMediaStore`), which every node of a cluster shares;
//! `BELPORTAL_MEDIA_URL` chooses (see docs/OPERATIONS.md, "Media storage").

use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;

/// The store `config` names: the bucket of `media_s3`, else the directory
/// `media_dir`. An unreachable bucket is an error here, at start.
pub fn open_store(config: &Config) -> Result<Arc<dyn MediaStore>, String> {
    Ok(match &config.media_s3 {
        Some(s3) => Arc::new(super::object::ObjectMediaStore::connect(s3)?),
        None => Arc::new(FsStore::new(config.media_dir.clone())),
    })
}

/// A readable, seekable stored file (for range requests).
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// An opened stored file and its length in bytes.
pub struct StoredFile {
    pub len: u64,
    pub reader: Box<dyn ReadSeek>,
}

/// A flat namespace of immutable files. Every method is blocking: call it from
/// `web::block`, never on an async worker.
pub trait MediaStore: Send + Sync + 'static {
    /// Stores `bytes` under `name`; readers never see a partly written file.
    fn put(&self, name: &str, bytes: &[u8]) -> io::Result<()>;
    /// The whole file, or None.
    fn get(&self, name: &str) -> io::Result<Option<Vec<u8>>>;
    /// The file opened for (ranged) reading, or None.
    fn open(&self, name: &str) -> io::Result<Option<StoredFile>>;
    /// Removes the file; a missing file is not an error.
    fn delete(&self, name: &str) -> io::Result<()>;
    fn exists(&self, name: &str) -> io::Result<bool>;
    /// A local directory for uploads in progress (spooled there before decoding).
    fn scratch_dir(&self) -> io::Result<PathBuf>;
    /// Names of stored files last written more than `age` ago (for the sweep).
    fn stored_older_than(&self, _age: Duration) -> io::Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// Removes temporary files (partial writes, upload spools) older than
    /// `age`, which a crash can leave behind; returns how many.
    fn remove_stale_temp(&self, _age: Duration) -> io::Result<usize> {
        Ok(0)
    }
}

/// Whether the file of `entry` was last modified more than `age` ago.
fn older_than(entry: &std::fs::DirEntry, age: Duration) -> bool {
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|e| e > age)
}

/// Removes the files in `dir` last modified more than `age` ago; returns how many.
pub(super) fn remove_old_files(dir: &Path, age: Duration) -> io::Result<usize> {
    remove_entries(entries(dir)?.into_iter().filter(|e| older_than(e, age)))
}

fn remove_entries(list: impl Iterator<Item = std::fs::DirEntry>) -> io::Result<usize> {
    let mut removed = 0;
    for e in list {
        match std::fs::remove_file(e.path()) {
            Ok(()) => removed += 1,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
    }
    Ok(removed)
}

/// The entries of `dir` (none when it does not exist yet).
fn entries(dir: &Path) -> io::Result<Vec<std::fs::DirEntry>> {
    match std::fs::read_dir(dir) {
        Ok(rd) => rd.collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// `<64 lowercase hex>.<jpg|png|webp>`: the only names the store holds, so a
/// request path can never name anything else (no traversal, no dot files).
pub fn is_valid_name(name: &str) -> bool {
    let Some((hash, ext)) = name.split_once('.') else {
        return false;
    };
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && matches!(ext, "jpg" | "png" | "webp")
}

/// Files in one directory (`BELPORTAL_MEDIA_DIR`).
#[derive(Debug, Clone)]
pub struct FsStore {
    dir: PathBuf,
    durable: bool,
}

impl FsStore {
    /// A store that syncs every file to disk before it gets its name.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FsStore {
            dir: dir.into(),
            durable: true,
        }
    }

    /// A store that leaves syncing to the OS: for tests, whose files die with them.
    pub fn without_sync(dir: impl Into<PathBuf>) -> Self {
        FsStore {
            dir: dir.into(),
            durable: false,
        }
    }

    fn path(&self, name: &str) -> io::Result<PathBuf> {
        if !is_valid_name(name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a media file name: {name:?}"),
            ));
        }
        Ok(self.dir.join(name))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl MediaStore for FsStore {
    fn put(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.path(name)?;
        match std::fs::metadata(&path) {
            // Same name, same bytes: content addressing makes the write redundant
            // (unless a crash left the file short).
            Ok(m) if m.len() == bytes.len() as u64 => return Ok(()),
            _ => {}
        }
        std::fs::create_dir_all(&self.dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(bytes)?;
        if self.durable {
            tmp.as_file().sync_data()?;
        }
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }

    fn get(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(name)?) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn open(&self, name: &str) -> io::Result<Option<StoredFile>> {
        match std::fs::File::open(self.path(name)?) {
            Ok(f) => {
                let len = f.metadata()?.len();
                Ok(Some(StoredFile {
                    len,
                    reader: Box::new(f),
                }))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn delete(&self, name: &str) -> io::Result<()> {
        match std::fs::remove_file(self.path(name)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn exists(&self, name: &str) -> io::Result<bool> {
        self.path(name)?.try_exists()
    }

    fn scratch_dir(&self) -> io::Result<PathBuf> {
        // Inside the media dir: the same filesystem, and not a name the store serves.
        let d = self.dir.join(".incoming");
        std::fs::create_dir_all(&d)?;
        Ok(d)
    }

    fn stored_older_than(&self, age: Duration) -> io::Result<Vec<String>> {
        Ok(entries(&self.dir)?
            .into_iter()
            .filter(|e| older_than(e, age))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| is_valid_name(n))
            .collect())
    }

    fn remove_stale_temp(&self, age: Duration) -> io::Result<usize> {
        // `put`'s temporary files (`.tmp*`) and the upload spools in `.incoming`.
        let temp = entries(&self.dir)?.into_iter().filter(|e| {
            e.file_name().to_string_lossy().starts_with(".tmp")
                && e.file_type().is_ok_and(|t| t.is_file())
        });
        let spools = entries(&self.dir.join(".incoming"))?.into_iter();
        remove_entries(temp.chain(spools).filter(|e| older_than(e, age)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_addressed_names_are_valid() {
        let h = "a".repeat(64);
        assert!(is_valid_name(&format!("{h}.jpg")));
        assert!(is_valid_name(&format!("{h}.webp")));
        for bad in [
            format!("{h}.gif"),
            format!("../{h}.jpg"),
            format!("{}.jpg", "A".repeat(64)),
            format!("{}.jpg", "a".repeat(63)),
            ".incoming".to_string(),
            format!("{h}.jpg/x"),
            format!("{h}.jpg.png"),
        ] {
            assert!(!is_valid_name(&bad), "{bad}");
        }
    }

    #[test]
    fn fs_store_puts_reads_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let s = FsStore::new(dir.path().join("m"));
        let name = format!("{}.png", "b".repeat(64));
        assert!(!s.exists(&name).unwrap());
        s.put(&name, b"bytes").unwrap();
        assert!(s.exists(&name).unwrap());
        assert_eq!(s.get(&name).unwrap().as_deref(), Some(&b"bytes"[..]));
        assert_eq!(s.open(&name).unwrap().map(|f| f.len), Some(5));
        s.delete(&name).unwrap();
        s.delete(&name).unwrap();
        assert_eq!(s.get(&name).unwrap(), None);
        assert!(s.put("../x.png", b"no").is_err());
    }
}
