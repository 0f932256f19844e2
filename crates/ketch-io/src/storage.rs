//! Object stores from Daft's `IOConfig`: `s3://`/`s3a://` (S3 and compatible
//! endpoints), `gs://`/`gcs://`, `az://`/`abfs[s]://`, `http(s)://` and local
//! paths, each mapped onto an `object_store` client.
//!
//! A config arrives as the JSON of the fields the user set
//! (`python/ketch/io_config.py`), e.g. `{"s3": {"endpoint_url": "...",
//! "key_id": "...", "access_key": "..."}}`; fields not set take the client's
//! environment (`AWS_*`, `GOOGLE_*`, `AZURE_*`) and defaults. Mapping (Daft
//! field -> object_store): `region_name` -> region (default `us-east-1`),
//! `endpoint_url` -> endpoint (path-style unless `force_virtual_addressing`;
//! plain HTTP allowed for an `http://` endpoint or `use_ssl=False`), GCS
//! `token` -> bearer token, `credentials` -> service account file or JSON,
//! `key_id`/`access_key`/`session_token` -> static credentials, `anonymous`
//! -> unsigned requests, `verify_ssl=False` -> invalid certificates allowed,
//! `num_tries` -> retries (`num_tries - 1`), `retry_initial_backoff_ms` ->
//! first backoff, `connect_timeout_ms` / `read_timeout_ms` -> connect and
//! request timeouts, `requester_pays`, `max_connections` -> at most that
//! many requests in flight per core. Clients are cached per (store URL,
//! config), so connections are reused across batches and queries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use datafusion::common::{DataFusionError, Result, exec_err};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GcpCredential, GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::limit::LimitStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{BackoffConfig, ClientConfigKey, ClientOptions, ObjectStore, RetryConfig, StaticCredentialProvider};
use serde_json::Value;
use url::Url;

/// The fields of one service's part of a config (`s3`, `gcs`, `azure`, `http`).
struct Part<'a>(Option<&'a serde_json::Map<String, Value>>);

impl Part<'_> {
    fn str(&self, k: &str) -> Option<&str> {
        self.0?.get(k)?.as_str()
    }
    fn flag(&self, k: &str) -> Option<bool> {
        self.0?.get(k)?.as_bool()
    }
    fn int(&self, k: &str) -> Option<u64> {
        self.0?.get(k)?.as_u64()
    }
}

/// Parses a config's JSON (None or "" for no config).
fn parse(config: Option<&str>) -> Result<Value> {
    match config {
        None | Some("") => Ok(Value::Object(Default::default())),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| DataFusionError::Execution(format!("invalid IOConfig (JSON {text:?}): {e}"))),
    }
}

/// The client settings a config part sets, as `object_store` client keys
/// (applied with each builder's `with_config`, so settings from the
/// environment, e.g. `AWS_ALLOW_HTTP`, stay unless the config overrides
/// them), and the retry policy.
fn client_settings(p: &Part, default_tries: u64) -> (Vec<(ClientConfigKey, String)>, RetryConfig) {
    let mut settings = Vec::new();
    if let Some(ms) = p.int("connect_timeout_ms") {
        settings.push((ClientConfigKey::ConnectTimeout, format!("{ms}ms")));
    }
    if let Some(ms) = p.int("read_timeout_ms") {
        settings.push((ClientConfigKey::Timeout, format!("{ms}ms")));
    }
    if p.flag("verify_ssl") == Some(false) || p.flag("check_hostname_ssl") == Some(false) {
        settings.push((ClientConfigKey::AllowInvalidCertificates, "true".into()));
    }
    let plain_http = p.str("endpoint_url").is_some_and(|e| e.starts_with("http://"));
    if plain_http || p.flag("use_ssl") == Some(false) {
        settings.push((ClientConfigKey::AllowHttp, "true".into()));
    }
    let tries = p.int("num_tries").unwrap_or(default_tries).max(1);
    let backoff = BackoffConfig {
        init_backoff: Duration::from_millis(p.int("retry_initial_backoff_ms").unwrap_or(1000)),
        ..Default::default()
    };
    (settings, RetryConfig { max_retries: (tries - 1) as usize, backoff, ..Default::default() })
}

fn build_error(url: &str, e: object_store::Error) -> DataFusionError {
    DataFusionError::Execution(format!("cannot open the object store for {url}: {e}"))
}

/// `store` with at most `max_connections` requests in flight per core (Daft's
/// connections per I/O thread) when the config sets it.
fn limited(store: Arc<dyn ObjectStore>, p: &Part) -> Arc<dyn ObjectStore> {
    match p.int("max_connections") {
        Some(n) => {
            let cores = std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1);
            Arc::new(LimitStore::new(store, (n as usize).max(1) * cores))
        }
        None => store,
    }
}

fn build(url: &Url, config: &Value) -> Result<Arc<dyn ObjectStore>> {
    let part = |name: &str| Part(config.get(name).and_then(Value::as_object));
    let host = url.host_str().unwrap_or_default();
    Ok(match url.scheme() {
        "file" => Arc::new(LocalFileSystem::new()),
        "s3" | "s3a" => {
            let p = part("s3");
            let (settings, retry) = client_settings(&p, 25);
            let mut b = AmazonS3Builder::from_env()
                .with_bucket_name(host)
                .with_region(p.str("region_name").unwrap_or("us-east-1"))
                .with_retry(retry);
            for (k, v) in settings {
                b = b.with_config(AmazonS3ConfigKey::Client(k), v);
            }
            if let Some(ep) = p.str("endpoint_url") {
                b = b.with_endpoint(ep);
            }
            if let (Some(k), Some(s)) = (p.str("key_id"), p.str("access_key")) {
                b = b.with_access_key_id(k).with_secret_access_key(s);
                if let Some(t) = p.str("session_token") {
                    b = b.with_token(t);
                }
            }
            if p.flag("anonymous") == Some(true) {
                b = b.with_skip_signature(true);
            }
            if p.flag("force_virtual_addressing") == Some(true) {
                b = b.with_virtual_hosted_style_request(true);
            }
            if p.flag("requester_pays") == Some(true) {
                b = b.with_request_payer(true);
            }
            limited(Arc::new(b.build().map_err(|e| build_error(url.as_str(), e))?), &p)
        }
        "gs" | "gcs" => {
            let p = part("gcs");
            let (settings, retry) = client_settings(&p, 5);
            let mut b = GoogleCloudStorageBuilder::from_env().with_bucket_name(host).with_retry(retry);
            for (k, v) in settings {
                b = b.with_config(GoogleConfigKey::Client(k), v);
            }
            match p.str("credentials") {
                Some(c) if c.trim_start().starts_with('{') => b = b.with_service_account_key(c),
                Some(c) => b = b.with_service_account_path(c),
                None => {}
            }
            if let Some(token) = p.str("token") {
                let bearer = GcpCredential { bearer: token.to_string() };
                b = b.with_credentials(Arc::new(StaticCredentialProvider::new(bearer)));
            }
            if p.flag("anonymous") == Some(true) {
                b = b.with_skip_signature(true);
            }
            limited(Arc::new(b.build().map_err(|e| build_error(url.as_str(), e))?), &p)
        }
        "az" | "abfs" | "abfss" | "azure" | "adl" => {
            let p = part("azure");
            let (settings, retry) = client_settings(&p, 5);
            let mut b = MicrosoftAzureBuilder::from_env().with_url(url.as_str()).with_retry(retry);
            for (k, v) in settings {
                b = b.with_config(AzureConfigKey::Client(k), v);
            }
            if let Some(a) = p.str("storage_account") {
                b = b.with_account(a);
            }
            if let Some(k) = p.str("access_key") {
                b = b.with_access_key(k);
            }
            if let Some(t) = p.str("sas_token") {
                b = b.with_config(AzureConfigKey::SasKey, t);
            }
            if let Some(t) = p.str("bearer_token") {
                b = b.with_bearer_token_authorization(t);
            }
            if let (Some(t), Some(c), Some(s)) = (p.str("tenant_id"), p.str("client_id"), p.str("client_secret")) {
                b = b.with_tenant_id(t).with_client_id(c).with_client_secret(s);
            }
            if let Some(ep) = p.str("endpoint_url") {
                b = b.with_endpoint(ep.to_string());
                if ep.starts_with("http://") {
                    b = b.with_allow_http(true);
                }
            }
            if p.flag("use_fabric_endpoint") == Some(true) {
                b = b.with_use_fabric_endpoint(true);
            }
            if p.flag("anonymous") == Some(true) {
                b = b.with_skip_signature(true);
            }
            limited(Arc::new(b.build().map_err(|e| build_error(url.as_str(), e))?), &p)
        }
        "http" | "https" => {
            let p = part("http");
            let (settings, retry) = client_settings(&p, 5);
            let mut options = ClientOptions::new().with_allow_http(true);
            for (k, v) in settings {
                options = options.with_config(k, v);
            }
            if let Some(token) = p.str("bearer_token") {
                let mut headers = object_store::HeaderMap::new();
                let value = object_store::HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|e| DataFusionError::Execution(format!("invalid HTTP bearer token: {e}")))?;
                headers.insert("authorization", value);
                options = options.with_default_headers(headers);
            }
            let base = format!("{}://{}", url.scheme(), &url[url::Position::BeforeHost..url::Position::AfterPort]);
            Arc::new(
                HttpBuilder::new()
                    .with_url(base)
                    .with_client_options(options)
                    .with_retry(retry)
                    .build()
                    .map_err(|e| build_error(url.as_str(), e))?,
            )
        }
        other => {
            return exec_err!("{url}: no object store for {other}:// URLs (supported: s3, gs, az/abfs, http(s), file)");
        }
    })
}

/// The URL of the store holding `url` (`scheme://bucket`, `file:///`).
pub fn store_url(url: &Url) -> Url {
    let text = match url.scheme() {
        "file" => "file:///".to_string(),
        s => format!("{s}://{}", &url[url::Position::BeforeUsername..url::Position::AfterPort]),
    };
    Url::parse(&text).unwrap_or_else(|_| url.clone())
}

/// Stores by (store URL, config JSON).
type StoreCache = HashMap<(String, String), Arc<dyn ObjectStore>>;

/// The object store for `url` under `config` (Daft `IOConfig` JSON; None: the
/// environment's defaults), cached per store and config.
///
/// Errors: an unsupported scheme, an invalid config, or a client that cannot
/// be built (e.g. a malformed endpoint), each naming the URL.
pub fn store_for(url: &Url, config: Option<&str>) -> Result<Arc<dyn ObjectStore>> {
    static STORES: OnceLock<Mutex<StoreCache>> = OnceLock::new();
    let key = (store_url(url).to_string(), config.unwrap_or_default().to_string());
    let stores = STORES.get_or_init(Default::default);
    if let Some(s) = stores.lock().map_err(|_| poisoned())?.get(&key) {
        return Ok(s.clone());
    }
    let store = build(url, &parse(config)?)?;
    stores.lock().map_err(|_| poisoned())?.insert(key, store.clone());
    Ok(store)
}

fn poisoned() -> DataFusionError {
    DataFusionError::Execution("object store cache poisoned".into())
}

/// A URL or local path as a URL (local paths made absolute, `gcs://` as `gs://`).
pub fn parse_url(location: &str) -> Result<Url> {
    if !location.contains("://") || location.starts_with("file://") {
        let local = location.strip_prefix("file://").unwrap_or(location);
        let abs = std::path::absolute(local)?;
        return Url::from_file_path(&abs)
            .map_err(|_| DataFusionError::Execution(format!("invalid local path {location:?}")));
    }
    let location = match location.strip_prefix("gcs://") {
        Some(rest) => format!("gs://{rest}"),
        None => location.to_string(),
    };
    let url =
        Url::parse(&location).map_err(|e| DataFusionError::Execution(format!("invalid URL {location:?}: {e}")))?;
    if url.host_str().is_none_or(str::is_empty) {
        return exec_err!("invalid URL {location:?}: it names no bucket, container or host");
    }
    Ok(url)
}

/// The object path of `url` inside its store.
pub fn object_path(url: &Url) -> Result<Path> {
    let invalid = |e: &dyn std::fmt::Display| DataFusionError::Execution(format!("invalid path {url}: {e}"));
    match url.scheme() {
        "file" => {
            let p = url.to_file_path().map_err(|_| invalid(&"not a local path"))?;
            Path::from_absolute_path(p).map_err(|e| invalid(&e))
        }
        _ => Path::from_url_path(url.path()).map_err(|e| invalid(&e)),
    }
}

/// The store and object path `location` (URL or local path) names.
pub fn resolve(location: &str, config: Option<&str>) -> Result<(Arc<dyn ObjectStore>, Path)> {
    let url = parse_url(location)?;
    Ok((store_for(&url, config)?, object_path(&url)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_by_scheme_and_config() {
        let s3 = r#"{"s3": {"endpoint_url": "http://127.0.0.1:1", "key_id": "k", "access_key": "s"}}"#;
        let (store, path) = resolve("s3://bkt/a/b.parquet", Some(s3)).unwrap();
        assert_eq!(path.as_ref(), "a/b.parquet");
        assert!(store.to_string().contains("bkt"), "{store}");
        let again = store_for(&parse_url("s3://bkt/other").unwrap(), Some(s3)).unwrap();
        assert!(Arc::ptr_eq(&store, &again));
        assert_eq!(store_url(&parse_url("gcs://b/x/y").unwrap()).as_str(), "gs://b");
        assert!(resolve("ftp://x/y", None).unwrap_err().to_string().contains("no object store for ftp"));
        assert!(resolve("s3://b/k", Some("{not json")).unwrap_err().to_string().contains("invalid IOConfig"));
        assert!(parse_url("s3://").unwrap_err().to_string().contains("names no bucket"));
    }
}
