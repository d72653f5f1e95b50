//! Structured logs: one line per event, `key=value` pairs after a UTC timestamp and a level, on
//! stderr. Values with spaces are quoted. No logging framework: the keeper's needs are small.

use std::fmt::Display;
use std::time::{SystemTime, UNIX_EPOCH};

/// Writes one log line. Use the [`kv!`](crate::kv) macro.
pub fn line(level: &str, event: &str, fields: &[(&str, &dyn Display)]) {
    let mut out = format!("ts={} level={level} event={event}", now_millis());
    for (k, v) in fields {
        let v = v.to_string();
        if v.contains(' ') || v.is_empty() {
            out.push_str(&format!(" {k}={v:?}"));
        } else {
            out.push_str(&format!(" {k}={v}"));
        }
    }
    eprintln!("{out}");
}

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// `kv!(info, "event_name", key = value, ...)`.
#[macro_export]
macro_rules! kv {
    ($level:ident, $event:expr $(, $k:ident = $v:expr)* $(,)?) => {
        $crate::log::line(stringify!($level), $event, &[$((stringify!($k), &$v as &dyn ::std::fmt::Display)),*])
    };
}
