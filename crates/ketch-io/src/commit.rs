//! The commit journal: a write's switch from staged files to final files
//! that a killed process cannot leave half done.
//!
//! A write stages its files under `<folder>/.ketch-staging-<id>/` (hidden
//! from readers). Its commit then
//! 1. writes the journal `<folder>/.ketch-commit-<id>` (one atomic put on
//!    every store: a local put renames a finished temporary file): the moves
//!    `staged -> final` and the files the write replaces, all relative to
//!    `<folder>`;
//! 2. moves the staged files, deletes the replaced ones;
//! 3. deletes the journal, then the staging folder.
//!
//! Once the journal exists the write is committed: whoever finds a journal
//! next (a later write to the folder, or a read of it, before it lists any
//! file) replays it ([`recover`]); every step is idempotent, so a replay of
//! a replay, or two replays side by side, end the same. A process killed
//! before the journal exists left only a hidden staging folder: readers skip
//! it, and a later write to the folder removes it ([`remove_stale_staging`];
//! a running write's [`Lease`] keeps its own folder from being taken for
//! such).
//! So after a killed write a reader of the folder sees exactly the old files
//! or exactly the new ones, on local file systems and object stores alike.
//! Not covered: a read of one partition subfolder (`<folder>/k=1/`) while a
//! journal waits in `<folder>`, and a listing that runs while a live writer
//! is in the middle of its commit (the journal is looked for once, before
//! the listing).
//!
//! `KETCH_FAULT_INJECTION=<point>` kills the process (SIGKILL) at one named
//! point of a write, for the tests that prove the above: `commit:staged`
//! (files staged, no journal yet), `commit:journal` (journal written),
//! `commit:move:<n>` (after the n-th move, from 1), `commit:moved`,
//! `commit:delete:<n>`, `commit:deleted` (before the journal is removed).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::common::{DataFusionError, Result};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde_json::{Value, json};

/// Name prefix of a write's staging folder (`.ketch-staging-<id>`).
pub const STAGING_PREFIX: &str = ".ketch-staging-";
/// Name prefix of a write's journal (`.ketch-commit-<id>`).
pub const JOURNAL_PREFIX: &str = ".ketch-commit-";
/// How long an append leaves another writer's idle staging folder alone
/// (another process may still be appending to the folder).
const APPEND_STALE_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// What one commit does, relative to its folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Journal {
    /// Staged file -> final file, in order.
    pub moves: Vec<(String, String)>,
    /// Files the write replaces, deleted after every move.
    pub deletes: Vec<String>,
}

impl Journal {
    fn to_bytes(&self) -> Vec<u8> {
        let moves: Vec<Value> = self.moves.iter().map(|(from, to)| json!([from, to])).collect();
        json!({"version": 1, "moves": moves, "deletes": self.deletes}).to_string().into_bytes()
    }

    fn from_bytes(bytes: &[u8], name: &Path) -> Result<Self> {
        let bad = || DataFusionError::Execution(format!("the commit journal {name} is not a ketch journal"));
        let value: Value = serde_json::from_slice(bytes).map_err(|_| bad())?;
        let text = |v: &Value| v.as_str().map(str::to_string).ok_or_else(bad);
        let moves = value["moves"]
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|m| Ok((text(&m[0])?, text(&m[1])?)))
            .collect::<Result<Vec<_>>>()?;
        let deletes = value["deletes"].as_array().ok_or_else(bad)?.iter().map(text).collect::<Result<Vec<_>>>()?;
        Ok(Journal { moves, deletes })
    }
}

/// Kills the process with SIGKILL when `KETCH_FAULT_INJECTION` names `point`
/// (tests only; see the module doc).
pub fn fault_point(point: &str) {
    if std::env::var("KETCH_FAULT_INJECTION").is_ok_and(|p| p == point) {
        let killed = std::process::Command::new("kill").args(["-KILL", &std::process::id().to_string()]).status();
        // `kill` delivers before it exits; never go on past the point.
        if !killed.is_ok_and(|s| s.success()) {
            std::process::abort();
        }
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}

fn under(folder: &Path, relative: &str) -> Result<Path> {
    let path = if folder.as_ref().is_empty() { relative.to_string() } else { format!("{folder}/{relative}") };
    Ok(Path::parse(path)?)
}

fn is_not_found(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::NotFound { .. })
}

/// The journal of the write `id` in `folder`.
pub fn journal_path(folder: &Path, id: &str) -> Result<Path> {
    under(folder, &format!("{JOURNAL_PREFIX}{id}"))
}

/// Commits the write `id` in `folder`: writes the journal, replays it, and
/// removes it. Once the journal is written the write only rolls forward.
///
/// Errors: a storage error. One before the journal is written changed
/// nothing; after it, the journal and the staged files stay, the next read
/// or write of the folder finishes the commit, and the error says so.
pub async fn commit(store: &Arc<dyn ObjectStore>, folder: &Path, id: &str, journal: &Journal) -> Result<()> {
    fault_point("commit:staged");
    let name = journal_path(folder, id)?;
    store.put(&name, PutPayload::from(journal.to_bytes())).await?;
    fault_point("commit:journal");
    replay(store, folder, journal).await.map_err(|e| {
        e.context(format!(
            "the write is committed but not finished: the next read or write of the folder finishes it ({name})"
        ))
    })?;
    fault_point("commit:deleted");
    // A concurrent reader may have finished and removed it already; a
    // journal left behind replays as a no-op.
    let _ = store.delete(&name).await;
    Ok(())
}

/// Applies `journal` in `folder`: each move unless it is done already, then
/// each delete. Idempotent.
async fn replay(store: &Arc<dyn ObjectStore>, folder: &Path, journal: &Journal) -> Result<()> {
    apply_moves(store, folder, journal).await?;
    apply_deletes(store, folder, journal).await
}

async fn apply_moves(store: &Arc<dyn ObjectStore>, folder: &Path, journal: &Journal) -> Result<()> {
    for (n, (from, to)) in journal.moves.iter().enumerate() {
        let (from, to) = (under(folder, from)?, under(folder, to)?);
        match store.rename(&from, &to).await {
            Ok(()) => {}
            // Moved already (by an earlier replay): the final file is there.
            Err(e) if is_not_found(&e) && store.head(&to).await.is_ok() => {}
            Err(e) => return Err(DataFusionError::External(Box::new(e)).context(format!("moving {from} to {to}"))),
        }
        fault_point(&format!("commit:move:{}", n + 1));
    }
    fault_point("commit:moved");
    Ok(())
}

async fn apply_deletes(store: &Arc<dyn ObjectStore>, folder: &Path, journal: &Journal) -> Result<()> {
    for (n, file) in journal.deletes.iter().enumerate() {
        match store.delete(&under(folder, file)?).await {
            Ok(()) => {}
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(DataFusionError::External(Box::new(e)).context(format!("deleting {file}"))),
        }
        fault_point(&format!("commit:delete:{}", n + 1));
    }
    Ok(())
}

/// Finishes every commit a killed writer left in `folder` (its journals,
/// oldest first), then removes their staging folders. Returns how many it
/// finished. `local`: the store is the local file system. Errors: a storage
/// error naming the journal; the folder is then left for the next try.
pub async fn recover(store: &Arc<dyn ObjectStore>, folder: &Path, local: bool) -> Result<usize> {
    // A folder that cannot be listed (missing, or a missing bucket) has
    // nothing to finish; the caller's own listing or write reports why.
    let Ok(listing) = store.list_with_delimiter(Some(folder)).await else { return Ok(0) };
    let mut journals: Vec<_> = listing
        .objects
        .into_iter()
        .filter(|m| m.location.filename().and_then(|f| f.strip_prefix(JOURNAL_PREFIX)).is_some_and(is_id))
        .collect();
    journals.sort_by_key(|m| m.last_modified);
    for meta in &journals {
        let id = meta.location.filename().and_then(|f| f.strip_prefix(JOURNAL_PREFIX)).unwrap_or_default();
        let bytes = match store.get(&meta.location).await {
            Ok(got) => got.bytes().await?,
            // Finished by someone else meanwhile.
            Err(e) if is_not_found(&e) => continue,
            Err(e) => return Err(e.into()),
        };
        let journal = Journal::from_bytes(&bytes, &meta.location)?;
        replay(store, folder, &journal).await.map_err(|e| {
            e.context(format!(
                "finishing the interrupted write recorded in {} (deleting that file gives the write up)",
                meta.location
            ))
        })?;
        match store.delete(&meta.location).await {
            Ok(()) => {}
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(e.into()),
        }
        remove_staging(store, &under(folder, &format!("{STAGING_PREFIX}{id}"))?, local).await;
    }
    Ok(journals.len())
}

/// A write id: a uuid's characters only (not a store's temporary file
/// such as `<name>#1`).
fn is_id(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// Removes a staging folder and everything in it (with `local`, the folder
/// itself too: the local store leaves folders behind).
pub async fn remove_staging(store: &Arc<dyn ObjectStore>, staging: &Path, local: bool) {
    let left: Vec<Path> = store.list(Some(staging)).map_ok(|m| m.location).try_collect().await.unwrap_or_default();
    let stream = futures::stream::iter(left.into_iter().map(Ok));
    let _ = store.delete_stream(Box::pin(stream)).try_collect::<Vec<_>>().await;
    if local {
        let _ = std::fs::remove_dir_all(format!("/{staging}"));
    }
}

/// Name of the marker a write keeps in its staging folder while it runs.
pub const LIVE_MARKER: &str = ".ketch-live";

/// A running write's claim on its staging folder: the marker
/// `<staging>/.ketch-live`, on the local file system also locked for as long
/// as the write runs (the lock ends with the process, so a killed write's
/// folder is known dead). Dropping it releases the lock.
#[derive(Debug)]
pub struct Lease {
    _lock: Option<std::fs::File>,
}

impl Lease {
    /// Takes the lease of `staging`. Errors: a storage error.
    pub async fn take(store: &Arc<dyn ObjectStore>, staging: &Path, local: bool) -> Result<Self> {
        let marker = staging.clone().join(LIVE_MARKER);
        if local {
            let path = std::path::PathBuf::from(format!("/{marker}"));
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let file = std::fs::File::create(&path)?;
            file.try_lock().map_err(|e| DataFusionError::Execution(format!("cannot lock {}: {e}", path.display())))?;
            return Ok(Self { _lock: Some(file) });
        }
        store.put(&marker, PutPayload::new()).await?;
        Ok(Self { _lock: None })
    }

    /// Whether the lease's marker is still there: false when another write
    /// took the staging folder for a killed write's and removed it.
    pub async fn held(store: &Arc<dyn ObjectStore>, staging: &Path) -> bool {
        store.head(&staging.clone().join(LIVE_MARKER)).await.is_ok()
    }
}

/// Whether the staging folder `staging` belongs to a write that is no
/// longer running. Local: its lease's lock is free (or it has none and
/// nothing in it changed since `cutoff`). Elsewhere, where no lock outlives
/// its process: nothing in it changed since `cutoff`.
async fn is_abandoned(store: &Arc<dyn ObjectStore>, staging: &Path, cutoff: DateTime<Utc>, local: bool) -> bool {
    if local && let Ok(file) = std::fs::File::open(format!("/{staging}/{LIVE_MARKER}")) {
        return file.try_lock().is_ok();
    }
    let newest = store
        .list(Some(staging))
        .map_ok(|m| m.last_modified)
        .try_fold(None, |acc, t| async move { Ok(Some(acc.map_or(t, |a: DateTime<Utc>| a.max(t)))) });
    matches!(newest.await, Ok(newest) if newest.is_none_or(|t| t < cutoff))
}

/// Removes (best effort) the staging folders in `folder` of writes that were
/// killed before their commit. A local write's lease tells whether its
/// writer still runs. On object stores a staging folder counts as abandoned
/// when nothing in it changed since `started` (the running write's start)
/// for an overwrite, which replaces the folder's data anyway, or for an hour
/// for an append; a live write whose folder was taken for abandoned fails
/// before its commit ([`Lease::held`]), never commits part of its files. A
/// staging folder with a journal is left to [`recover`].
pub async fn remove_stale_staging(
    store: &Arc<dyn ObjectStore>,
    folder: &Path,
    own_id: &str,
    started: DateTime<Utc>,
    overwrite: bool,
    local: bool,
) {
    let Ok(listing) = store.list_with_delimiter(Some(folder)).await else { return };
    let cutoff = if overwrite { started } else { started - APPEND_STALE_AFTER };
    for prefix in listing.common_prefixes {
        let Some(id) = prefix.filename().and_then(|f| f.strip_prefix(STAGING_PREFIX)) else { continue };
        let Ok(journal) = journal_path(folder, id) else { continue };
        if id == own_id || store.head(&journal).await.is_ok() {
            continue;
        }
        if is_abandoned(store, &prefix, cutoff, local).await {
            // The marker first: its write, if it still runs, then fails before committing.
            let _ = store.delete(&prefix.clone().join(LIVE_MARKER)).await;
            remove_staging(store, &prefix, local).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    async fn files(store: &Arc<dyn ObjectStore>) -> Vec<String> {
        let mut all: Vec<String> = store.list(None).map_ok(|m| m.location.to_string()).try_collect().await.unwrap();
        all.sort();
        all
    }

    #[tokio::test]
    async fn a_journal_round_trips_and_replays_idempotently() {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let folder = Path::from("t");
        for f in ["t/old.parquet", "t/.ketch-staging-ab/x_0.parquet", "t/.ketch-staging-ab/x_1.parquet"] {
            store.put(&Path::from(f), PutPayload::from_static(b"1")).await.unwrap();
        }
        let journal = Journal {
            moves: vec![
                (".ketch-staging-ab/x_0.parquet".into(), "n-0.parquet".into()),
                (".ketch-staging-ab/x_1.parquet".into(), "n-1.parquet".into()),
            ],
            deletes: vec!["old.parquet".into()],
        };
        assert_eq!(Journal::from_bytes(&journal.to_bytes(), &Path::from("j")).unwrap(), journal);
        // A writer killed after its journal and one move: the reader's recover finishes it.
        store.put(&Path::from("t/.ketch-commit-ab"), PutPayload::from(journal.to_bytes())).await.unwrap();
        store.rename(&Path::from("t/.ketch-staging-ab/x_0.parquet"), &Path::from("t/n-0.parquet")).await.unwrap();
        assert_eq!(recover(&store, &folder, false).await.unwrap(), 1);
        assert_eq!(files(&store).await, vec!["t/n-0.parquet", "t/n-1.parquet"]);
        // Nothing left to do.
        assert_eq!(recover(&store, &folder, false).await.unwrap(), 0);
        assert!(!Lease::held(&store, &Path::from("t/.ketch-staging-ab")).await);
        replay(&store, &folder, &journal).await.unwrap();
        assert_eq!(files(&store).await, vec!["t/n-0.parquet", "t/n-1.parquet"]);
    }

    #[tokio::test]
    async fn stale_staging_is_removed_by_an_overwrite_only_when_older() {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let folder = Path::from("t");
        store.put(&Path::from("t/.ketch-staging-aa/x_0.parquet"), PutPayload::from_static(b"1")).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let started = Utc::now();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        store.put(&Path::from("t/.ketch-staging-bb/x_0.parquet"), PutPayload::from_static(b"1")).await.unwrap();
        // An append keeps both (neither idle for an hour).
        remove_stale_staging(&store, &folder, "cc", started, false, false).await;
        assert_eq!(files(&store).await.len(), 2);
        remove_stale_staging(&store, &folder, "cc", started, true, false).await;
        assert_eq!(files(&store).await, vec!["t/.ketch-staging-bb/x_0.parquet"]);
    }
}
