//! I/O in one place: object stores, file listing and scans, file writes and
//! their commit journal, for every file format ketch reads and writes.
//!
//! It sits below the function registry (`ketch-functions`' download kernels
//! need the object stores) and below execution (`ketch-exec` plans scans and
//! runs writes through it); it depends on neither.
//!
//! What belongs where:
//! - [`storage`]: `object_store` clients from Daft's `IOConfig`, URL and path
//!   parsing.
//! - [`stores`]: the object-store registry sessions use (stores made on
//!   demand, `IOConfig`s registered by tag, I/O counters).
//! - [`scan`]: format-independent listing (paths, folders, globs, hive
//!   partitions) and scan planning as DataFusion listing tables.
//! - [`sink`]: format-independent writes: staging, file sizes, the commit.
//! - [`commit`]: the commit journal that makes a write all-or-nothing.
//! - [`file_errors`]: errors from reading a file name the file.
//! - [`batches`]: small stream helpers shared with execution.
//! - [`formats`]: one file per format (`parquet`, `csv`, `json`) holding its
//!   scan options, its DataFusion `FileFormat` and its write path.
//!
//! Where does a new file format go: a new `formats/<name>.rs` (its options,
//! its `FileFormat` for scans, its write), its variants in [`formats::Format`]
//! and [`formats::WriteFormat`], and its Python reader/writer in
//! `python/ketch/io.py`.

pub mod batches;
pub mod commit;
pub mod file_errors;
pub mod formats;
pub mod scan;
pub mod sink;
pub mod storage;
pub mod stores;
