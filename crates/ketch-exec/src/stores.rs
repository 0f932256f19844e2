//! Object stores for scans and writes: DataFusion's registry, with a store
//! made on demand (from the URL's scheme and the environment, through
//! `ketch_functions::storage`) for a URL that has none registered, and
//! [`register_io_config`] to serve a call's own `IOConfig`.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use datafusion::prelude::SessionContext;
use ketch_functions::storage;
use object_store::ObjectStore;
use url::Url;

/// DataFusion's default registry (local files) plus stores made on demand.
#[derive(Debug, Default)]
pub struct KetchObjectStores {
    inner: DefaultObjectStoreRegistry,
}

impl ObjectStoreRegistry for KetchObjectStores {
    fn register_store(&self, url: &Url, store: Arc<dyn ObjectStore>) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        self.inner.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        self.inner.get_store(url).or_else(|_| {
            let store = storage::store_for(url, None)?;
            self.inner.register_store(url, store.clone());
            Ok(store)
        })
    }
}

/// Registers, for the store of every location in `locations` (URLs or local
/// paths), the client `config` (Daft `IOConfig` JSON) describes, so the
/// scans and writes planned next reach those stores with it. Local paths
/// need none and are skipped.
pub fn register_io_config(ctx: &SessionContext, locations: &[String], config: Option<&str>) -> Result<()> {
    for location in locations {
        let url = storage::parse_url(location)?;
        if url.scheme() == "file" {
            continue;
        }
        let store = storage::store_for(&url, config)?;
        ctx.runtime_env().register_object_store(&storage::store_url(&url), store);
    }
    Ok(())
}
