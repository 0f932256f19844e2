//! What UDF calls did on this thread: how many calls were made and how many
//! rows failed but were made null by `on_error="log"|"ignore"` (Daft#7530:
//! suppressed failures must be countable). The operator that evaluates the
//! calls takes the counts after each batch (see `UDFProjectExec`), so they
//! land in that operator's metrics as `udf.calls` and `udf.rows.failed`.
//!
//! Thread-local: a batch's calls run on one thread from start to end, so the
//! counts of concurrent batches never mix.

use std::cell::Cell;

thread_local! {
    static CALLS: Cell<usize> = const { Cell::new(0) };
    static ROWS_FAILED: Cell<usize> = const { Cell::new(0) };
}

/// Counts one UDF call (one batch) on this thread.
pub fn record_call() {
    CALLS.with(|c| c.set(c.get() + 1));
}

/// Counts `rows` rows whose failure `on_error` turned into nulls (called by
/// the UDF's implementation, e.g. the Python bindings).
pub fn record_failed_rows(rows: usize) {
    ROWS_FAILED.with(|c| c.set(c.get() + rows));
}

/// `(calls, failed rows)` counted on this thread since the last take; resets both.
///
/// ```
/// use ketch_plan::udf::call_stats::{record_call, record_failed_rows, take};
/// take();
/// record_call();
/// record_failed_rows(3);
/// assert_eq!(take(), (1, 3));
/// assert_eq!(take(), (0, 0));
/// ```
pub fn take() -> (usize, usize) {
    (CALLS.with(|c| c.replace(0)), ROWS_FAILED.with(|c| c.replace(0)))
}
