//! Files and URLs: `download`, `upload`, the `File` type (`file`,
//! `file_path`, `file_size`, `file_exists`) and `guess_mime_type`.
//!
//! URLs resolve to `object_store` clients through [`ketch_io::storage`] under
//! the call's `IOConfig` (a JSON literal argument): local paths, `file://`,
//! `s3://`, `gs://`, `az://`/`abfs://` and `http(s)://`, one client per store
//! and config kept for the process; requests time out and are retried with
//! exponential backoff by the client. Within a batch at most
//! `max_connections` requests are in flight, results in row order.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanBuilder, Int64Builder, LargeBinaryBuilder, LargeStringArray,
    StringBuilder, StructArray,
};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Int64Type};
use datafusion::common::{DataFusionError, Result, exec_err, plan_err};
use datafusion::logical_expr::ScalarUDF;
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStoreExt, PutPayload};

use super::{Call, Logical, MediaFunction};
use ketch_io::storage::resolve;

fn object_store_error(e: object_store::Error) -> DataFusionError {
    DataFusionError::ObjectStore(Box::new(e))
}

/// Runs `fut` to completion from a synchronous kernel. On the query's
/// multi-threaded tokio runtime the future runs as one task on the runtime's
/// workers, where its sockets are polled, and this thread is woken once for
/// the result (driving it here instead costs a cross-thread wake-up per
/// network event); without such a runtime, on a runtime of its own.
pub fn block_on<T, F>(fut: F) -> Result<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = Result<T>> + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            let task = h.spawn(fut);
            tokio::task::block_in_place(|| h.block_on(task))
                .map_err(|e| DataFusionError::Execution(format!("an I/O task failed: {e}")))?
        }
        _ => std::thread::scope(|s| {
            s.spawn(|| tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(fut))
                .join()
                .unwrap_or_else(|_| exec_err!("the I/O thread panicked"))
        }),
    }
}

/// Runs `requests` (one per row) with at most `limit` in flight; results in row order.
fn run_requests<T, F>(requests: Vec<F>, limit: usize) -> Result<Vec<T>>
where
    T: Send + 'static,
    F: std::future::Future<Output = Result<T>> + Send + 'static,
{
    block_on(futures::stream::iter(requests).buffered(limit).try_collect::<Vec<_>>())
}

fn strings(a: &ArrayRef) -> Result<LargeStringArray> {
    Ok(arrow::compute::cast(a, &DataType::LargeUtf8)?.as_string::<i64>().clone())
}

fn max_connections(c: &Call, i: usize) -> Result<usize> {
    match c.int(i)? {
        None => Ok(32),
        Some(n) if n > 0 => Ok(n as usize),
        Some(n) => plan_err!("{}: max_connections must be positive, got {n}", c.name),
    }
}

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null)
}

/// The URLs of argument `i`: a string column or a `File` column.
fn urls(c: &Call, a: &ArrayRef, i: usize) -> Result<LargeStringArray> {
    match c.logical(i) {
        Some(Logical::File(_)) => strings(a.as_struct().column(0)),
        _ => strings(a),
    }
}

/// Each row's byte range (a `File` column's `position` and `size`; `None`:
/// the whole file, and for every row of a string column).
fn row_ranges(c: &Call, a: &ArrayRef, i: usize) -> Result<Vec<Option<super::local::ByteRange>>> {
    let Some(Logical::File(_)) = c.logical(i) else { return Ok(vec![None; a.len()]) };
    let s = a.as_struct();
    let position = arrow::compute::cast(s.column(2), &DataType::Int64)?;
    let size = arrow::compute::cast(s.column(3), &DataType::Int64)?;
    let (position, size) = (position.as_primitive::<Int64Type>(), size.as_primitive::<Int64Type>());
    (0..a.len())
        .map(|row| {
            let p = position.is_valid(row).then(|| position.value(row));
            let n = size.is_valid(row).then(|| size.value(row));
            match (p, n) {
                (None, None) => Ok(None),
                (p, n) if p.unwrap_or(0) < 0 || n.unwrap_or(0) < 0 => {
                    exec_err!("{}: row {row}: a File's position and size must not be negative", c.name)
                }
                (p, n) => Ok(Some((p.unwrap_or(0) as u64, n.map(|n| n as u64)))),
            }
        })
        .collect()
}

/// Each row's own storage config (the `io_config` field of a File column,
/// `IOConfig` JSON) or, for other columns and rows without one, `default`.
fn row_configs(c: &Call, a: &ArrayRef, i: usize, default: Option<String>) -> Vec<Option<String>> {
    let own = match c.logical(i) {
        Some(Logical::File(_)) => {
            a.as_struct().column(1).as_any().downcast_ref::<arrow::array::LargeBinaryArray>().cloned()
        }
        _ => None,
    };
    (0..a.len())
        .map(|row| match &own {
            Some(own) if !own.is_null(row) => Some(String::from_utf8_lossy(own.value(row)).into_owned()),
            _ => default.clone(),
        })
        .collect()
}

fn download() -> MediaFunction {
    MediaFunction::new(
        "download",
        |c| {
            if !is_text(c.data_type(0)) && !matches!(c.logical(0), Some(Logical::File(_))) {
                return c.type_error(0, "a String column of URLs or paths");
            }
            max_connections(c, 1)?;
            c.null_on_error(2)?;
            Ok(Field::new("download", DataType::Binary, true))
        },
        |c, a, _| {
            let (limit, null_on_error) = (max_connections(c, 1)?, c.null_on_error(2)?);
            let configs = row_configs(c, &a[0], 0, c.str(3)?);
            let urls = urls(c, &a[0], 0)?;
            let ranges = row_ranges(c, &a[0], 0)?;
            if urls.iter().flatten().all(|u| super::local::local_path(u).is_some()) {
                return super::local::read_files(&urls, &ranges, null_on_error);
            }
            let fetches = (0..urls.len()).map(|i| {
                let url = (!urls.is_null(i)).then(|| urls.value(i).to_string());
                let config = configs[i].clone();
                let range = ranges[i];
                async move {
                    let Some(url) = url else { return Ok(None) };
                    if let Some((_, Some(0))) = range {
                        return Ok(Some(vec![])); // an empty member: no (invalid, empty) range request
                    }
                    let fetched = async {
                        let (store, path) = resolve(&url, config.as_deref())?;
                        let options = object_store::GetOptions {
                            range: range.map(|(start, size)| match size {
                                Some(n) => object_store::GetRange::Bounded(start..start + n),
                                None => object_store::GetRange::Offset(start),
                            }),
                            ..Default::default()
                        };
                        // The body's chunks as received (not yet copied into one buffer).
                        let got = store.get_opts(&path, options).await.map_err(object_store_error)?;
                        got.into_stream().try_collect::<Vec<bytes::Bytes>>().await.map_err(object_store_error)
                    }
                    .await;
                    match fetched {
                        Ok(b) => Ok(Some(b)),
                        Err(_) if null_on_error => Ok(None),
                        Err(e) => Err(e.context(format!("download: row {i}: {url}"))),
                    }
                }
            });
            let results: Vec<Option<Vec<bytes::Bytes>>> = run_requests(fetches.collect(), limit)?;
            binary_from_chunks(&results)
        },
    )
}

/// A `Binary` array of one row per entry (`None`: null), each row the
/// concatenation of its chunks: the only copy of the downloaded bytes.
fn binary_from_chunks(rows: &[Option<Vec<bytes::Bytes>>]) -> Result<ArrayRef> {
    let len = |r: &Option<Vec<bytes::Bytes>>| r.iter().flatten().map(|c| c.len()).sum::<usize>();
    let total: usize = rows.iter().map(len).sum();
    if total > i32::MAX as usize {
        return exec_err!(
            "download: {} URLs of {total} bytes in one batch exceed Binary's 2 GiB; download fewer rows per batch",
            rows.len()
        );
    }
    let mut values = Vec::with_capacity(total);
    rows.iter().flatten().flatten().for_each(|c| values.extend_from_slice(c));
    let offsets = OffsetBuffer::<i32>::from_lengths(rows.iter().map(len));
    let nulls = NullBuffer::from(rows.iter().map(Option::is_some).collect::<Vec<_>>());
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    Ok(Arc::new(BinaryArray::try_new(offsets, Buffer::from(values), nulls)?))
}

fn upload() -> MediaFunction {
    MediaFunction::new(
        "upload",
        |c| {
            if !matches!(
                c.data_type(0),
                DataType::Binary
                    | DataType::LargeBinary
                    | DataType::BinaryView
                    | DataType::Utf8
                    | DataType::LargeUtf8
                    | DataType::Null
            ) {
                return c.type_error(0, "a Binary (or String) column of file contents");
            }
            if !is_text(c.data_type(1)) {
                return c.type_error(1, "bytes and a location (a folder, or a String column of file paths)");
            }
            max_connections(c, 2)?;
            c.null_on_error(3)?;
            Ok(Field::new("upload", DataType::Utf8, true))
        },
        |c, a, _| {
            let (limit, null_on_error) = (max_connections(c, 2)?, c.null_on_error(3)?);
            let config = c.str(4)?;
            let data = arrow::compute::cast(&a[0], &DataType::LargeBinary)?;
            let data = data.as_binary::<i64>();
            let folder = c.str(1)?;
            let locations = strings(&a[1])?;
            let puts = (0..data.len()).map(|i| {
                let bytes = (!data.is_null(i)).then(|| bytes::Bytes::copy_from_slice(data.value(i)));
                let target = if locations.is_null(i) {
                    None
                } else if folder.is_some() {
                    Some(format!("{}/{}", locations.value(i).trim_end_matches('/'), uuid::Uuid::new_v4()))
                } else {
                    Some(locations.value(i).to_string())
                };
                let config = config.clone();
                async move {
                    let (Some(bytes), Some(target)) = (bytes, target) else { return Ok(None) };
                    let put = async {
                        let (store, path) = resolve(&target, config.as_deref())?;
                        store.put(&path, PutPayload::from(bytes)).await.map_err(object_store_error)?;
                        Ok::<_, DataFusionError>(if target.contains("://") {
                            target.clone()
                        } else {
                            format!("file://{}", std::path::absolute(&target)?.display())
                        })
                    }
                    .await;
                    match put {
                        Ok(url) => Ok(Some(url)),
                        Err(_) if null_on_error => Ok(None),
                        Err(e) => Err(e.context(format!("upload: row {i}: {target}"))),
                    }
                }
            });
            let results: Vec<Option<String>> = run_requests(puts.collect(), limit)?;
            let mut b = StringBuilder::new();
            for r in results {
                b.append_option(r);
            }
            Ok(Arc::new(b.finish()))
        },
    )
}

fn file_fn() -> MediaFunction {
    MediaFunction::new(
        "file",
        |c| {
            if !is_text(c.data_type(0)) && !matches!(c.logical(0), Some(Logical::File(_))) {
                return c.type_error(0, "a String column of URLs or paths");
            }
            Logical::File("Unknown".into()).field("file")
        },
        |c, a, out| {
            if let Some(Logical::File(_)) = c.logical(0) {
                return Ok(a[0].clone());
            }
            let urls = strings(&a[0])?;
            let n = urls.len();
            let DataType::Struct(fields) = out.data_type().clone() else { unreachable!() };
            let nulls = urls.logical_nulls();
            let config = c.str(1)?;
            let mut io_config = LargeBinaryBuilder::new();
            let (mut position, mut size) = (Int64Builder::new(), Int64Builder::new());
            for _ in 0..n {
                io_config.append_option(config.as_deref());
                position.append_null();
                size.append_null();
            }
            Ok(Arc::new(StructArray::try_new(
                fields,
                vec![
                    Arc::new(urls),
                    Arc::new(io_config.finish()),
                    Arc::new(position.finish()),
                    Arc::new(size.finish()),
                ],
                nulls,
            )?))
        },
    )
}

fn file_arg(c: &Call) -> Result<()> {
    match c.logical(0) {
        Some(Logical::File(_)) => Ok(()),
        _ => c.type_error(0, "a File column (make one with file(url))"),
    }
}

fn file_path() -> MediaFunction {
    MediaFunction::new(
        "file_path",
        |c| {
            file_arg(c)?;
            Ok(Field::new("file_path", DataType::Utf8, true))
        },
        |_, a, _| Ok(arrow::compute::cast(a[0].as_struct().column(0), &DataType::Utf8)?),
    )
}

/// The metadata (`HEAD`) of every URL, at most `limit` requests at once; None where it is missing.
fn heads(
    urls: &LargeStringArray,
    configs: &[Option<String>],
    limit: usize,
    missing_ok: bool,
) -> Result<Vec<Option<Option<u64>>>> {
    let reqs = (0..urls.len()).map(|i| {
        let url = (!urls.is_null(i)).then(|| urls.value(i).to_string());
        let config = configs[i].clone();
        async move {
            let Some(url) = url else { return Ok(None) };
            let (store, path) = resolve(&url, config.as_deref())?;
            match store.head(&path).await {
                Ok(meta) => Ok(Some(Some(meta.size))),
                Err(object_store::Error::NotFound { .. }) if missing_ok => Ok(Some(None)),
                Err(e) => Err(object_store_error(e).context(format!("row {i}: {url}"))),
            }
        }
    });
    run_requests(reqs.collect(), limit)
}

fn file_exists() -> MediaFunction {
    MediaFunction::new(
        "file_exists",
        |c| {
            file_arg(c)?;
            Ok(Field::new("file_exists", DataType::Boolean, true))
        },
        |c, a, _| {
            let found = heads(&urls(c, &a[0], 0)?, &row_configs(c, &a[0], 0, None), 32, true)?;
            let mut b = BooleanBuilder::with_capacity(found.len());
            for f in found {
                b.append_option(f.map(|size| size.is_some()));
            }
            Ok(Arc::new(b.finish()))
        },
    )
}

fn file_size() -> MediaFunction {
    MediaFunction::new(
        "file_size",
        |c| {
            file_arg(c)?;
            Ok(Field::new("file_size", DataType::UInt64, true))
        },
        |c, a, _| {
            // A File with a byte range has that range's size (no request when its size is given).
            let ranges = row_ranges(c, &a[0], 0)?;
            let urls = urls(c, &a[0], 0)?;
            let unsized_urls: LargeStringArray = (0..urls.len())
                .map(|i| match ranges[i] {
                    Some((_, Some(_))) => None,
                    _ => (!urls.is_null(i)).then(|| urls.value(i)),
                })
                .collect();
            let sizes = heads(&unsized_urls, &row_configs(c, &a[0], 0, None), 32, false)?;
            let mut b = arrow::array::UInt64Builder::with_capacity(sizes.len());
            for (i, s) in sizes.into_iter().enumerate() {
                b.append_option(match ranges[i] {
                    _ if urls.is_null(i) => None,
                    Some((_, Some(n))) => Some(n),
                    Some((start, None)) => s.flatten().map(|len| len.saturating_sub(start)),
                    None => s.flatten(),
                });
            }
            Ok(Arc::new(b.finish()))
        },
    )
}

fn guess_mime_type() -> MediaFunction {
    MediaFunction::new(
        "guess_mime_type",
        |c| match c.data_type(0) {
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::Null => {
                Ok(Field::new("guess_mime_type", DataType::Utf8, true))
            }
            _ => c.type_error(0, "a Binary column"),
        },
        |_, a, _| {
            let bytes = arrow::compute::cast(&a[0], &DataType::LargeBinary)?;
            let bytes = bytes.as_binary::<i64>();
            let mut b = StringBuilder::new();
            for v in bytes.iter() {
                b.append_option(v.and_then(infer::get).map(|t| t.mime_type()));
            }
            Ok(Arc::new(b.finish()))
        },
    )
}

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        download().morsels(super::image::MEDIA_MORSEL_ROWS).udf(),
        upload().morsels(super::image::MEDIA_MORSEL_ROWS).udf(),
        file_fn().udf(),
        file_path().udf(),
        file_exists().udf(),
        file_size().udf(),
        guess_mime_type().udf(),
    ]
}
