//! The synthetic result of one chunk: a pure function of the measurement
//! ID, the chunk's order `k` and its decoded payload bytes, in the shape the
//! cloud pushes to `0510` subscribers (`MeasurementDataID`, `Channels`,
//! `Multiplier`, ...).

use serde_json::{json, Value};

/// Every `Data` value is the signal times this.
pub(crate) const MULTIPLIER: u64 = 1000;

/// The four channels, as `(name, value)` before the multiplier:
/// with `n` = payload length and `s` = the sum of the payload bytes,
/// `HR_BPM` = 60 + (n + 7k) % 40, `MSI` = 1 + (s + k) % 5,
/// `BP_SYSTOLIC` = 110 + (n + k) % 20, `BP_DIASTOLIC` = 70 + (s + 3k) % 15.
pub(crate) fn channel_values(k: u64, payload: &[u8]) -> [(&'static str, u64); 4] {
    let n = payload.len() as u64;
    let s: u64 = payload.iter().map(|b| u64::from(*b)).sum();
    [
        ("HR_BPM", 60 + (n + 7 * k) % 40),
        ("MSI", 1 + (s + k) % 5),
        ("BP_SYSTOLIC", 110 + (n + k) % 20),
        ("BP_DIASTOLIC", 70 + (s + 3 * k) % 15),
    ]
}

/// `{"MeasurementID", "MeasurementDataID": "<mid>:<k>", "ChunkOrder": k,
/// "Error": {"Code": "OK"}, "Multiplier": 1000, "Channels": {name: {"Data": [value * 1000]}}}`.
pub(crate) fn chunk_result(measurement_id: &str, k: u64, payload: &[u8]) -> Value {
    let mut channels = serde_json::Map::new();
    for (name, value) in channel_values(k, payload) {
        channels.insert(name.to_owned(), json!({ "Data": [value * MULTIPLIER] }));
    }
    json!({
        "MeasurementID": measurement_id,
        "MeasurementDataID": format!("{measurement_id}:{k}"),
        "ChunkOrder": k,
        "Error": { "Code": "OK" },
        "Multiplier": MULTIPLIER,
        "Channels": channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_values() {
        // n = 3, s = 97 + 98 + 99 = 294, k = 3.
        let r = chunk_result("m", 3, b"abc");
        assert_eq!(r["MeasurementDataID"], "m:3");
        assert_eq!(r["ChunkOrder"], 3);
        assert_eq!(r["Channels"]["HR_BPM"]["Data"], json!([84_000])); // 60 + 24 % 40
        assert_eq!(r["Channels"]["MSI"]["Data"], json!([3_000])); // 1 + 297 % 5
        assert_eq!(r["Channels"]["BP_SYSTOLIC"]["Data"], json!([116_000])); // 110 + 6 % 20
        assert_eq!(r["Channels"]["BP_DIASTOLIC"]["Data"], json!([73_000])); // 70 + 303 % 15
        assert_eq!(r, chunk_result("m", 3, b"abc"));
        assert_ne!(r, chunk_result("m", 3, b"abd"));
    }
}
