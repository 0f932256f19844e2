//! Small helpers on streams of record batches, shared by writes (files cut
//! between batches) and execution (`ketch_exec::morsel`'s small morsels).

use datafusion::arrow::array::RecordBatch;
use datafusion::common::Result;
use futures::{StreamExt, stream};

/// `batches` with every batch cut into zero-copy slices of at most `rows`
/// rows (an empty batch passes as it is).
pub fn split_stream(
    batches: impl futures::Stream<Item = Result<RecordBatch>> + Send + 'static,
    rows: usize,
) -> impl futures::Stream<Item = Result<RecordBatch>> + Send + 'static {
    let rows = rows.max(1);
    batches.flat_map(move |batch| {
        let slices: Vec<Result<RecordBatch>> = match batch {
            Ok(b) => {
                let n = b.num_rows();
                (0..n.div_ceil(rows).max(1)).map(|i| Ok(b.slice(i * rows, rows.min(n - i * rows)))).collect()
            }
            Err(e) => vec![Err(e)],
        };
        stream::iter(slices)
    })
}
