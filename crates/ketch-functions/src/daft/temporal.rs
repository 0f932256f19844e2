//! `daft.functions.datetime`: date and time parts as Daft types them (`year`
//! Int32, the other parts UInt32, `day_of_week` with Monday = 0), epoch
//! conversions, formatting, truncation and time-zone changes.

use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, try_cast};

use super::{call, cast, expect, is_string, is_temporal, lit};
use crate::function::{Args, DaftFunction};

fn is_timestamp(t: &DataType) -> bool {
    matches!(t, DataType::Timestamp(..) | DataType::Null)
}

fn is_duration(t: &DataType) -> bool {
    matches!(t, DataType::Duration(_) | DataType::Null)
}

fn part(a: &Args, p: &str) -> Result<Expr> {
    call("date_part", vec![lit(p), a.arg(0)])
}

fn u32(e: Expr) -> Expr {
    cast(e, DataType::UInt32)
}

fn date_part(name: &'static str, p: &'static str, timestamps_only: bool) -> DaftFunction {
    DaftFunction::new(name, 1, move |a| {
        if timestamps_only {
            expect(a, 0, is_timestamp, "a timestamp input")?;
        } else {
            expect(a, 0, is_temporal, "a date or timestamp input")?;
        }
        Ok(u32(part(a, p)?))
    })
}

fn sub_second(name: &'static str, p: &'static str, modulus: i64, div: i64) -> DaftFunction {
    DaftFunction::new(name, 1, move |a| {
        expect(a, 0, is_timestamp, "a timestamp input")?;
        let v = cast(part(a, p)?, DataType::Int64) % lit(modulus) / lit(div);
        Ok(u32(v))
    })
}

fn unit_of(a: &Args, i: usize) -> Result<TimeUnit> {
    Ok(match a.str(i)?.as_deref() {
        None | Some("s") | Some("second") | Some("seconds") => TimeUnit::Second,
        Some("ms") | Some("millisecond") | Some("milliseconds") => TimeUnit::Millisecond,
        Some("us") | Some("microsecond") | Some("microseconds") => TimeUnit::Microsecond,
        Some("ns") | Some("nanosecond") | Some("nanoseconds") => TimeUnit::Nanosecond,
        Some(other) => return a.type_error(&format!("a time unit (s, ms, us, ns), not {other:?}")),
    })
}

fn to_unix_epoch(a: &Args) -> Result<Expr> {
    expect(a, 0, is_temporal, "a date or timestamp input")?;
    let unit = unit_of(a, 1)?;
    let naive = match a.ty(0) {
        DataType::Timestamp(u, Some(_)) => cast(a.arg(0), DataType::Timestamp(*u, None)),
        _ => a.arg(0),
    };
    Ok(cast(cast(naive, DataType::Timestamp(unit, None)), DataType::Int64))
}

fn total(name: &'static str, per: i64) -> DaftFunction {
    // `per` is the number of nanoseconds in one output unit.
    DaftFunction::new(name, 1, move |a| {
        expect(a, 0, is_duration, "a duration input")?;
        let DataType::Duration(unit) = a.ty(0) else { return Ok(cast(a.arg(0), DataType::Int64)) };
        let in_ns: i64 = match unit {
            TimeUnit::Second => 1_000_000_000,
            TimeUnit::Millisecond => 1_000_000,
            TimeUnit::Microsecond => 1_000,
            TimeUnit::Nanosecond => 1,
        };
        let raw = cast(a.arg(0), DataType::Int64);
        Ok(if in_ns >= per { raw * lit(in_ns / per) } else { raw / lit(per / in_ns) })
    })
}

fn strftime(a: &Args) -> Result<Expr> {
    expect(a, 0, |t| is_temporal(t) || matches!(t, DataType::Time32(_) | DataType::Time64(_)), "a temporal input")?;
    let fmt = match a.str(1)? {
        Some(f) => f,
        None => match a.ty(0) {
            DataType::Date32 | DataType::Date64 => "%Y-%m-%d".to_string(),
            DataType::Time32(_) | DataType::Time64(_) => "%H:%M:%S%.f".to_string(),
            _ => "%Y-%m-%dT%H:%M:%S%.f".to_string(),
        },
    };
    call("to_char", vec![a.arg(0), lit(fmt)])
}

fn as_date(a: &Args, i: usize) -> Expr {
    match a.ty(i) {
        DataType::Date32 => a.arg(i),
        _ => cast(a.arg(i), DataType::Date32),
    }
}

fn truncate(a: &Args, interval: usize, expr: usize, relative_to: usize) -> Result<Expr> {
    expect(a, expr, is_temporal, "a date or timestamp input")?;
    let Some(every) = a.str(interval)? else { return a.type_error("an interval such as '1 day'") };
    let interval = cast(lit(every), DataType::Interval(arrow::datatypes::IntervalUnit::MonthDayNano));
    let t = a.ty(expr).clone();
    let x = match &t {
        DataType::Timestamp(..) => a.arg(expr),
        _ => cast(a.arg(expr), DataType::Timestamp(TimeUnit::Microsecond, None)),
    };
    let mut args = vec![interval, x];
    if !a.is_none(relative_to) {
        args.push(a.arg(relative_to));
    }
    Ok(cast(call("date_bin", args)?, t))
}

fn timezone(a: &Args, i: usize) -> Result<Option<std::sync::Arc<str>>> {
    Ok(a.str(i)?.map(|s| s.into()))
}

fn convert_time_zone(a: &Args, expr: usize, to: usize, from: Option<usize>) -> Result<Expr> {
    expect(a, expr, is_timestamp, "a timestamp input")?;
    let DataType::Timestamp(unit, current) = a.ty(expr).clone() else { return Ok(a.arg(expr)) };
    let from_tz = match from {
        Some(i) => timezone(a, i)?,
        None => None,
    };
    let source = match (current, from_tz) {
        (Some(_), _) => a.arg(expr),
        (None, Some(tz)) => cast(a.arg(expr), DataType::Timestamp(unit, Some(tz))),
        (None, None) => cast(a.arg(expr), DataType::Timestamp(unit, Some("UTC".into()))),
    };
    Ok(cast(source, DataType::Timestamp(unit, timezone(a, to)?)))
}

fn replace_time_zone(a: &Args) -> Result<Expr> {
    expect(a, 0, is_timestamp, "a timestamp input")?;
    let DataType::Timestamp(unit, current) = a.ty(0).clone() else { return Ok(a.arg(0)) };
    let local = if current.is_some() { call("to_local_time", vec![a.arg(0)])? } else { a.arg(0) };
    Ok(cast(local, DataType::Timestamp(unit, timezone(a, 1)?)))
}

fn epoch_to_timestamp(name: &'static str, unit: TimeUnit) -> DaftFunction {
    DaftFunction::new(name, 1, move |a| {
        expect(a, 0, |t| t.is_integer() || t.is_null(), "an integer input")?;
        let ts = cast(cast(a.arg(0), DataType::Int64), DataType::Timestamp(unit, None));
        Ok(cast(ts, DataType::Timestamp(TimeUnit::Microsecond, None)))
    })
}

fn date_add(a: &Args, negate: bool) -> Result<Expr> {
    expect(a, 0, is_temporal, "a date or timestamp input")?;
    let days = cast(a.arg(1), DataType::Int32);
    let days = if negate { Expr::Negative(Box::new(days)) } else { days };
    call("spark.date_add", vec![as_date(a, 0), days])
}

fn date_diff(a: &Args) -> Result<Expr> {
    expect(a, 0, is_temporal, "a date or timestamp input")?;
    call("spark.date_diff", vec![as_date(a, 0), as_date(a, 1)])
}

/// `months_between(end, start)`: whole months plus the day difference over 31,
/// whole when both are the same day or both month ends (Spark's rule, Daft's
/// answer), rounded to 8 decimals.
fn months_between(a: &Args) -> Result<Expr> {
    expect(a, 0, is_temporal, "a date or timestamp input")?;
    expect(a, 1, is_temporal, "a date or timestamp input")?;
    let (end, start) = (as_date(a, 0), as_date(a, 1));
    let p = |what: &str, e: &Expr| -> Result<Expr> {
        Ok(cast(call("date_part", vec![lit(what), e.clone()])?, DataType::Float64))
    };
    let months = (p("year", &end)? - p("year", &start)?) * lit(12.0) + p("month", &end)? - p("month", &start)?;
    let (d1, d2) = (p("day", &end)?, p("day", &start)?);
    let month_end = |e: &Expr| -> Result<Expr> { Ok(call("spark.last_day", vec![e.clone()])?.eq(e.clone())) };
    let whole = d1.clone().eq(d2.clone()).or(month_end(&end)?.and(month_end(&start)?));
    let frac = datafusion::logical_expr::when(whole, lit(0.0)).otherwise((d1 - d2) / lit(31.0))?;
    call("round", vec![months + frac, lit(8i64)])
}

/// `make_timestamp(y, m, d, h, mi, s[, tz])`: seconds may be fractional; a
/// time zone makes the result zone-aware (the fields are its local time).
fn make_timestamp(a: &Args) -> Result<Expr> {
    let i32 = |i: usize| cast(a.arg(i), DataType::Int32);
    let date = call("make_date", vec![i32(0), i32(1), i32(2)])?;
    let us = |i: usize, per: f64| cast(a.arg(i), DataType::Float64) * lit(per);
    let micros = call("round", vec![us(3, 3_600_000_000.0) + us(4, 60_000_000.0) + us(5, 1_000_000.0)])?;
    let day_start = cast(cast(date, DataType::Timestamp(TimeUnit::Microsecond, None)), DataType::Int64);
    let naive = cast(day_start + cast(micros, DataType::Int64), DataType::Timestamp(TimeUnit::Microsecond, None));
    Ok(match timezone(a, 6)? {
        Some(tz) => cast(naive, DataType::Timestamp(TimeUnit::Microsecond, Some(tz))),
        None => naive,
    })
}

pub fn functions() -> Vec<DaftFunction> {
    let mut v = vec![
        DaftFunction::new("months_between", 2, months_between),
        DaftFunction::new("make_timestamp", 7, make_timestamp),
        DaftFunction::new("make_timestamp_ltz", 7, make_timestamp),
        DaftFunction::new("from_unixtime", 2, |a| {
            expect(a, 0, |t| t.is_integer() || t.is_null(), "an integer input")?;
            let ts = cast(cast(a.arg(0), DataType::Int64), DataType::Timestamp(TimeUnit::Second, None));
            let fmt = a.str(1)?.unwrap_or_else(|| "%Y-%m-%d %H:%M:%S".into());
            call("to_char", vec![ts, lit(fmt)])
        }),
        DaftFunction::new("year", 1, |a| {
            expect(a, 0, is_temporal, "a date or timestamp input")?;
            Ok(cast(part(a, "year")?, DataType::Int32))
        }),
        date_part("month", "month", false),
        date_part("quarter", "quarter", false),
        date_part("day_of_year", "doy", false),
        date_part("dayofyear", "doy", false),
        date_part("week_of_year", "week", false),
        date_part("weekofyear", "week", false),
        date_part("hour", "hour", true),
        date_part("minute", "minute", true),
        sub_second("second", "second", 60, 1),
        sub_second("millisecond", "microsecond", 1_000_000, 1_000),
        sub_second("microsecond", "microsecond", 1_000_000, 1),
        sub_second("nanosecond", "nanosecond", 1_000_000_000, 1),
        DaftFunction::new("day_of_week", 1, |a| {
            expect(a, 0, is_temporal, "a date or timestamp input")?;
            Ok(u32((cast(part(a, "dow")?, DataType::Int64) + lit(6i64)) % lit(7i64)))
        }),
        DaftFunction::new("date", 1, |a| {
            expect(a, 0, is_temporal, "a date or timestamp input")?;
            Ok(as_date(a, 0))
        }),
        DaftFunction::new("time", 1, |a| {
            expect(a, 0, is_timestamp, "a timestamp input")?;
            let unit = match a.ty(0) {
                DataType::Timestamp(TimeUnit::Nanosecond, _) => TimeUnit::Nanosecond,
                _ => TimeUnit::Microsecond,
            };
            let naive = match a.ty(0) {
                DataType::Timestamp(u, Some(_)) => {
                    call("to_local_time", vec![a.arg(0)]).map(|e| cast(e, DataType::Timestamp(*u, None)))?
                }
                _ => a.arg(0),
            };
            Ok(cast(naive, DataType::Time64(unit)))
        }),
        DaftFunction::new("unix_date", 1, |a| {
            expect(a, 0, is_timestamp, "a timestamp input")?;
            Ok(try_cast(cast(as_date(a, 0), DataType::Int32), DataType::UInt64))
        }),
        DaftFunction::new("to_unix_epoch", 2, to_unix_epoch),
        DaftFunction::new("strftime", 2, strftime),
        DaftFunction::new("date_format", 2, strftime),
        DaftFunction::new("date_trunc", 3, |a| truncate(a, 0, 1, 2)),
        DaftFunction::new("trunc", 3, |a| truncate(a, 1, 0, 2)),
        DaftFunction::new("convert_time_zone", 3, |a| convert_time_zone(a, 0, 1, Some(2))),
        DaftFunction::new("convert_timezone", 2, |a| convert_time_zone(a, 1, 0, None)),
        DaftFunction::new("replace_time_zone", 2, replace_time_zone),
        total("total_days", 86_400_000_000_000),
        total("total_hours", 3_600_000_000_000),
        total("total_minutes", 60_000_000_000),
        total("total_seconds", 1_000_000_000),
        total("total_milliseconds", 1_000_000),
        total("total_microseconds", 1_000),
        total("total_nanoseconds", 1),
        DaftFunction::new("to_date", 2, |a| {
            expect(a, 0, is_string, "a string input")?;
            call("to_date", vec![a.arg(0), a.arg(1)])
        }),
        DaftFunction::new("to_datetime", 3, |a| {
            expect(a, 0, is_string, "a string input")?;
            let parsed = call("to_timestamp", vec![a.arg(0), a.arg(1)])?;
            let tz = timezone(a, 2)?;
            let naive = cast(parsed, DataType::Timestamp(TimeUnit::Microsecond, None));
            Ok(match tz {
                Some(tz) => cast(naive, DataType::Timestamp(TimeUnit::Microsecond, Some(tz))),
                None => naive,
            })
        }),
        epoch_to_timestamp("timestamp_seconds", TimeUnit::Second),
        epoch_to_timestamp("timestamp_millis", TimeUnit::Millisecond),
        epoch_to_timestamp("timestamp_micros", TimeUnit::Microsecond),
        DaftFunction::new("date_from_unix_date", 1, |a| {
            expect(a, 0, |t| t.is_integer() || t.is_null(), "an integer input")?;
            Ok(cast(cast(a.arg(0), DataType::Int32), DataType::Date32))
        }),
        DaftFunction::new("last_day", 1, |a| {
            expect(a, 0, is_temporal, "a date or timestamp input")?;
            call("spark.last_day", vec![as_date(a, 0)])
        }),
        DaftFunction::new("next_day", 2, |a| {
            expect(a, 0, is_temporal, "a date or timestamp input")?;
            call("spark.next_day", vec![as_date(a, 0), a.arg(1)])
        }),
        DaftFunction::new("add_months", 2, |a| {
            expect(a, 0, is_temporal, "a date or timestamp input")?;
            call("spark.add_months", vec![as_date(a, 0), cast(a.arg(1), DataType::Int32)])
        }),
        DaftFunction::new("date_add", 2, |a| date_add(a, false)),
        DaftFunction::new("dateadd", 2, |a| date_add(a, false)),
        DaftFunction::new("date_sub", 2, |a| date_add(a, true)),
        DaftFunction::new("date_diff", 2, date_diff),
        DaftFunction::new("datediff", 2, date_diff),
        DaftFunction::new("make_date", 3, |a| {
            let i32 = |i: usize| cast(a.arg(i), DataType::Int32);
            call("make_date", vec![i32(0), i32(1), i32(2)])
        }),
        DaftFunction::new("datepart", 2, |a| {
            expect(a, 1, is_temporal, "a date or timestamp input")?;
            Ok(cast(call("date_part", vec![a.arg(0), a.arg(1)])?, DataType::Int32))
        }),
        DaftFunction::new("from_utc_timestamp", 2, |a| {
            expect(a, 0, is_timestamp, "a timestamp input")?;
            call("spark.from_utc_timestamp", a.exprs.clone())
        }),
        DaftFunction::new("to_utc_timestamp", 2, |a| {
            expect(a, 0, is_timestamp, "a timestamp input")?;
            call("spark.to_utc_timestamp", a.exprs.clone())
        }),
        DaftFunction::new("current_date", 0, |_| call("current_date", vec![])),
        // Daft documents this as always 'UTC' (the zone its current_timestamp is in).
        DaftFunction::new("current_timezone", 0, |_| Ok(lit("UTC"))),
        DaftFunction::new("current_timestamp", 0, |_| {
            // Daft: a naive timestamp holding the UTC wall time.
            let utc = cast(call("now", vec![])?, DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())));
            Ok(cast(utc, DataType::Timestamp(TimeUnit::Microsecond, None)))
        }),
    ];
    for (name, p) in [("day", "day"), ("day_of_month", "day"), ("dayofmonth", "day")] {
        v.push(date_part(name, p, false));
    }
    v
}
