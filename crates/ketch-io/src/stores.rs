//! Object stores for scans and writes: DataFusion's registry, with a store
//! made on demand for a URL that has none registered: from the URL's scheme
//! and the environment (through [`crate::storage`]), or, for a URL
//! tagged by [`register_io_config`], from that call's own `IOConfig`.
//!
//! The tag's config is kept process-wide ([`io_config_for_tag`]), not in one
//! session: any session of the process (the native runner's, or a worker's
//! that received a plan with its configs, see `ketch_exec::runner`) makes the
//! store on first use.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::storage;
use async_trait::async_trait;
use bytes::Bytes;
use datafusion::common::Result;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use futures::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions,
    PutOptions, PutPayload, PutResult, RenameOptions, Result as OsResult, UploadPart,
};
use url::Url;

/// DataFusion's default registry plus stores made on demand; every store is
/// wrapped to count its I/O ([`io_stats`]).
#[derive(Debug)]
pub struct KetchObjectStores {
    inner: DefaultObjectStoreRegistry,
}

impl Default for KetchObjectStores {
    fn default() -> Self {
        let inner = DefaultObjectStoreRegistry::new();
        // (The URL parses; were it not to, local files would go uncounted.)
        if let Ok(local) = Url::parse("file://") {
            inner.register_store(&local, Counting::wrap(Arc::new(LocalFileSystem::new())));
        }
        Self { inner }
    }
}

impl ObjectStoreRegistry for KetchObjectStores {
    fn register_store(&self, url: &Url, store: Arc<dyn ObjectStore>) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, Counting::wrap(store))
    }

    fn deregister_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        self.inner.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        self.inner.get_store(url).or_else(|_| {
            let store = match url.scheme().split_once('+') {
                Some((_, tag)) => {
                    let Some(config) = io_config_for_tag(tag) else {
                        return Err(datafusion::common::DataFusionError::Execution(format!(
                            "no IOConfig is known for {}: the plan was sent without its I/O configs",
                            display_location(url.as_str())
                        )));
                    };
                    let plain = Url::parse(&display_location(url.as_str())).map_err(|e| {
                        datafusion::common::DataFusionError::Execution(format!("invalid URL {url}: {e}"))
                    })?;
                    storage::store_for(&plain, Some(&config))?
                }
                None => storage::store_for(url, None)?,
            };
            let store = Counting::wrap(store);
            self.inner.register_store(url, store.clone());
            Ok(store)
        })
    }
}

/// The process's `IOConfig`s by tag (see [`register_io_config`]).
fn io_configs() -> &'static Mutex<HashMap<String, String>> {
    static CONFIGS: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    CONFIGS.get_or_init(Default::default)
}

/// The `IOConfig` JSON registered under `tag` in this process, if any.
pub fn io_config_for_tag(tag: &str) -> Option<String> {
    io_configs().lock().ok()?.get(tag).cloned()
}

/// Registers `config` (`IOConfig` JSON) under `tag` in this process: how a
/// plan received from another process brings its configs (see
/// [`tagged_io_configs`]). A tag names one config, so registering it again is
/// harmless.
pub fn register_tagged_io_config(tag: &str, config: &str) {
    if let Ok(mut configs) = io_configs().lock() {
        configs.insert(tag.to_string(), config.to_string());
    }
}

/// The `(tag, IOConfig JSON)` pairs whose tag occurs in `bytes` (a
/// serialized plan): the configs its tagged URLs need.
pub fn tagged_io_configs(bytes: &[u8]) -> Vec<(String, String)> {
    let Ok(configs) = io_configs().lock() else { return vec![] };
    configs
        .iter()
        .filter(|(tag, _)| bytes.windows(tag.len() + 1).any(|w| w[0] == b'+' && &w[1..] == tag.as_bytes()))
        .map(|(t, c)| (t.clone(), c.clone()))
        .collect()
}

/// Returns `locations` (URLs or local paths) as the object-store registry
/// knows them when they are to be reached with `config` (Daft `IOConfig`
/// JSON): a URL gets the config's tag in its scheme (`s3+k1f..://bucket/key`),
/// so calls with different configs for one bucket never share a client,
/// however late their plans run, and the config is registered process-wide
/// under the tag ([`io_config_for_tag`]); the registry makes the client on
/// first use. Without a config, and for local paths, the locations are
/// unchanged (the registry serves the environment's clients).
/// [`display_location`] gives a tagged location back as the user wrote it.
///
/// Errors: an unsupported scheme, an invalid config or URL (checked here, by
/// making the client once, so the user's call fails rather than a later query).
pub fn register_io_config(locations: &[String], config: Option<&str>) -> Result<Vec<String>> {
    let Some(config) = config.filter(|c| !c.is_empty()) else { return Ok(locations.to_vec()) };
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(config, &mut hasher);
    let tag = format!("k{:016x}", std::hash::Hasher::finish(&hasher));
    locations
        .iter()
        .map(|location| {
            let url = storage::parse_url(location)?;
            if url.scheme() == "file" {
                return Ok(location.clone());
            }
            storage::store_for(&url, Some(config))?;
            register_tagged_io_config(&tag, config);
            let scheme = url.scheme();
            let keyed = format!("{scheme}+{tag}{}", &url.as_str()[scheme.len()..]);
            Url::parse(&keyed)
                .map_err(|e| datafusion::common::DataFusionError::Execution(format!("invalid URL {keyed}: {e}")))?;
            Ok(keyed)
        })
        .collect()
}

/// A location as the user wrote it: the config tag [`register_io_config`]
/// put in its scheme taken out.
pub fn display_location(location: &str) -> String {
    match location.split_once("://") {
        Some((scheme, rest)) if scheme.contains('+') => {
            format!("{}://{rest}", scheme.split('+').next().unwrap_or(scheme))
        }
        _ => location.to_string(),
    }
}

/// Requests and bytes through the object stores of every session in the
/// process (local files included): what scans, writes and downloads
/// actually moved. Bytes read are the byte ranges of GET requests.
#[derive(Debug, Default)]
pub struct IoStats {
    pub get_requests: AtomicU64,
    pub bytes_read: AtomicU64,
    pub head_requests: AtomicU64,
    pub list_requests: AtomicU64,
    pub put_requests: AtomicU64,
    pub bytes_written: AtomicU64,
}

impl IoStats {
    /// The counters as (name, value) pairs.
    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        vec![
            ("get_requests", get(&self.get_requests)),
            ("bytes_read", get(&self.bytes_read)),
            ("head_requests", get(&self.head_requests)),
            ("list_requests", get(&self.list_requests)),
            ("put_requests", get(&self.put_requests)),
            ("bytes_written", get(&self.bytes_written)),
        ]
    }

    /// Sets every counter to zero.
    pub fn reset(&self) {
        for c in [
            &self.get_requests,
            &self.bytes_read,
            &self.head_requests,
            &self.list_requests,
            &self.put_requests,
            &self.bytes_written,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// The process's I/O counters.
pub fn io_stats() -> &'static IoStats {
    static STATS: OnceLock<IoStats> = OnceLock::new();
    STATS.get_or_init(IoStats::default)
}

/// An object store that counts its requests and bytes into [`io_stats`] and
/// otherwise forwards every call (so a store's own `get_ranges` and
/// `rename` stay in use).
#[derive(Debug)]
struct Counting(Arc<dyn ObjectStore>);

impl Counting {
    fn wrap(store: Arc<dyn ObjectStore>) -> Arc<dyn ObjectStore> {
        Arc::new(Counting(store))
    }
}

impl std::fmt::Display for Counting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

#[async_trait]
impl ObjectStore for Counting {
    async fn put_opts(&self, location: &Path, payload: PutPayload, opts: PutOptions) -> OsResult<PutResult> {
        add(&io_stats().put_requests, 1);
        add(&io_stats().bytes_written, payload.content_length() as u64);
        self.0.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> OsResult<Box<dyn MultipartUpload>> {
        add(&io_stats().put_requests, 1);
        Ok(Box::new(CountingUpload(self.0.put_multipart_opts(location, opts).await?)))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> OsResult<GetResult> {
        let head = options.head;
        let result = self.0.get_opts(location, options).await?;
        if head {
            add(&io_stats().head_requests, 1);
        } else {
            add(&io_stats().get_requests, 1);
            add(&io_stats().bytes_read, result.range.end - result.range.start);
        }
        Ok(result)
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> OsResult<Vec<Bytes>> {
        let out = self.0.get_ranges(location, ranges).await?;
        add(&io_stats().get_requests, ranges.len() as u64);
        add(&io_stats().bytes_read, out.iter().map(|b| b.len() as u64).sum());
        Ok(out)
    }

    fn delete_stream(&self, locations: BoxStream<'static, OsResult<Path>>) -> BoxStream<'static, OsResult<Path>> {
        self.0.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, OsResult<ObjectMeta>> {
        add(&io_stats().list_requests, 1);
        self.0.list(prefix)
    }

    fn list_with_offset(&self, prefix: Option<&Path>, offset: &Path) -> BoxStream<'static, OsResult<ObjectMeta>> {
        add(&io_stats().list_requests, 1);
        self.0.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> OsResult<ListResult> {
        add(&io_stats().list_requests, 1);
        self.0.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> OsResult<()> {
        self.0.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> OsResult<()> {
        self.0.rename_opts(from, to, options).await
    }
}

/// A multipart upload that counts the bytes of its parts into [`io_stats`].
#[derive(Debug)]
struct CountingUpload(Box<dyn MultipartUpload>);

#[async_trait]
impl MultipartUpload for CountingUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        add(&io_stats().bytes_written, data.content_length() as u64);
        self.0.put_part(data)
    }

    async fn complete(&mut self) -> OsResult<PutResult> {
        self.0.complete().await
    }

    async fn abort(&mut self) -> OsResult<()> {
        self.0.abort().await
    }
}
