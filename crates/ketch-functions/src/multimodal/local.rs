//! `download` of local files (plain paths and `file://` URLs) straight into
//! one Arrow `Binary` values buffer: every file's size is read first, the
//! buffer is allocated once, and each file is read into its own slice on the
//! rayon pool. One copy (kernel to buffer) per byte, no per-file allocations,
//! no async hand-offs; remote URLs go through `object_store` (`file.rs`).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BinaryArray, LargeStringArray};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer};
use datafusion::common::{DataFusionError, Result, exec_err};
use rayon::prelude::*;

/// The local path a URL names, or `None` for a URL of another scheme.
pub fn local_path(url: &str) -> Option<PathBuf> {
    match url.split_once("://") {
        None => Some(PathBuf::from(url)),
        Some(("file", rest)) => Some(PathBuf::from(rest)),
        Some(_) => None,
    }
}

fn row_error(i: usize, url: &str, e: std::io::Error) -> DataFusionError {
    // The kind is kept (NotFound -> FileNotFoundError) and the message names the file.
    let e = std::io::Error::new(e.kind(), format!("{url}: {e}"));
    DataFusionError::IoError(e).context(format!("download: row {i}: {url}"))
}

/// A byte range of a file: its start and, if given, its length (else to the
/// end of the file), as a `File` value's `position` and `size` select it.
pub type ByteRange = (u64, Option<u64>);

/// Reads `path` from `start` into `dst`. Reading a whole file (`whole`),
/// `dst` must be exactly the file's size (a file that grew or shrank since
/// its size was read is an error); reading a range, the range must fit.
fn read_exact(path: &PathBuf, start: u64, whole: bool, dst: &mut [u8]) -> std::io::Result<()> {
    let mut f = File::open(path)?;
    if start > 0 {
        f.seek(SeekFrom::Start(start))?;
    }
    f.read_exact(dst)?;
    let mut probe = [0u8; 1];
    if whole && f.read(&mut probe)? != 0 {
        return Err(std::io::Error::other("the file changed size while it was read"));
    }
    Ok(())
}

/// The bytes `download` reads of a file `len` bytes long: all of it, or a range of it.
fn range_len(len: u64, range: Option<ByteRange>) -> std::io::Result<usize> {
    match range {
        None => Ok(len as usize),
        Some((start, size)) => {
            let end = size.map_or(len, |s| start.saturating_add(s));
            if start > len || end > len {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("byte range {start}..{end} is outside the file ({len} bytes)"),
                ));
            }
            Ok((end - start) as usize)
        }
    }
}

/// The files `urls` names (all local; null URLs give null rows) as a `Binary`
/// array. A missing or unreadable file is an error naming the row and the
/// path (`NotFound` kept, so Python raises `FileNotFoundError`), or a null
/// row when `null_on_error`. Errors when the batch holds 2 GiB or more.
///
/// `ranges` (one per row, `None`: the whole file) selects byte ranges; a
/// range outside its file is an error (or a null row).
pub fn read_files(urls: &LargeStringArray, ranges: &[Option<ByteRange>], null_on_error: bool) -> Result<ArrayRef> {
    let n = urls.len();
    let paths: Vec<Option<PathBuf>> =
        (0..n).map(|i| if urls.is_null(i) { None } else { local_path(urls.value(i)) }).collect();
    // Sizes first (None: null row).
    let sizes = paths
        .par_iter()
        .enumerate()
        .map(|(i, p)| match p {
            None => Ok(None),
            Some(p) => match std::fs::metadata(p) {
                Ok(m) if m.is_file() => match range_len(m.len(), ranges.get(i).copied().flatten()) {
                    Ok(n) => Ok(Some(n)),
                    Err(e) => Err(row_error(i, urls.value(i), e)),
                },
                Ok(_) => Err(row_error(i, urls.value(i), std::io::Error::other("not a file"))),
                Err(e) => Err(row_error(i, urls.value(i), e)),
            },
        })
        .map(|r| if null_on_error { r.or(Ok(None)) } else { r })
        .collect::<Result<Vec<Option<usize>>>>()?;
    let total: usize = sizes.iter().flatten().sum();
    if total > i32::MAX as usize {
        return exec_err!(
            "download: {n} files of {total} bytes in one batch exceed Binary's 2 GiB; download fewer rows per batch"
        );
    }
    let mut values = vec![0u8; total];
    let mut slices = Vec::with_capacity(n);
    let mut rest = values.as_mut_slice();
    for s in &sizes {
        let (head, tail) = rest.split_at_mut(s.unwrap_or(0));
        slices.push(head);
        rest = tail;
    }
    let read = slices
        .into_par_iter()
        .zip(paths.par_iter())
        .enumerate()
        .map(|(i, (dst, p))| {
            let Some(p) = p.as_ref().filter(|_| sizes[i].is_some()) else { return Ok(false) };
            let range = ranges.get(i).copied().flatten();
            match read_exact(p, range.map_or(0, |r| r.0), range.is_none(), dst) {
                Ok(()) => Ok(true),
                Err(_) if null_on_error => Ok(false),
                Err(e) => Err(row_error(i, urls.value(i), e)),
            }
        })
        .collect::<Result<Vec<bool>>>()?;
    // A row whose read failed (with null_on_error) keeps its bytes' slot but is null.
    let offsets = OffsetBuffer::<i32>::from_lengths(sizes.iter().map(|s| s.unwrap_or(0)));
    let nulls = NullBuffer::from(read);
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    Ok(Arc::new(BinaryArray::try_new(offsets, Buffer::from(values), nulls)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_in_order_with_nulls_and_errors() {
        let dir = std::env::temp_dir().join(format!("ketch-local-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.bin"), dir.join("b.bin"));
        std::fs::write(&a, b"hello").unwrap();
        std::fs::write(&b, b"").unwrap();
        let missing = dir.join("missing.bin");
        let url = |p: &PathBuf| p.to_str().unwrap().to_string();
        let urls =
            LargeStringArray::from(vec![Some(url(&a)), None, Some(format!("file://{}", url(&b))), Some(url(&missing))]);
        let out = read_files(&urls, &[], true).unwrap();
        let out = out.as_any().downcast_ref::<BinaryArray>().unwrap();
        assert_eq!(out.value(0), b"hello");
        assert!(out.is_null(1) && out.is_valid(2) && out.value(2).is_empty() && out.is_null(3));
        let err = read_files(&urls, &[], false).unwrap_err().to_string();
        assert!(err.contains("row 3") && err.contains("missing.bin"), "{err}");
        // Byte ranges: from a position to the end, a position and a size, one outside the file.
        let urls = LargeStringArray::from(vec![Some(url(&a)), Some(url(&a)), Some(url(&a))]);
        let ranges = [Some((1, None)), Some((1, Some(3))), Some((4, Some(5)))];
        let out = read_files(&urls, &ranges, true).unwrap();
        let out = out.as_any().downcast_ref::<BinaryArray>().unwrap();
        assert_eq!((out.value(0), out.value(1)), (&b"ello"[..], &b"ell"[..]));
        assert!(out.is_null(2));
        let err = read_files(&urls, &ranges, false).unwrap_err().to_string();
        assert!(err.contains("row 2") && err.contains("outside the file"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
