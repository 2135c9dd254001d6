//! The fuzz targets on stable, in the normal test command (CI has no
//! nightly for cargo-fuzz): each target replays its seed corpus
//! (fuzz/corpus) and then runs on random mutations of it for a bounded
//! time. `DFX_FUZZ_SECS` is the time for all targets together (default 6;
//! scripts/test.sh gives 60), `DFX_FUZZ_SEED` the mutator's seed (printed,
//! so that a failure can be run again). An input that fails is written to
//! target/fuzz-replay/ and shown; add it to the corpus once fixed.

mod oracle;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A target: its corpus directory under fuzz/corpus, the tokens its
/// mutations insert, the function under test.
struct Target {
    corpus: &'static str,
    tokens: &'static [&'static str],
    run: fn(&[u8]),
}

const HTTP: &[&str] = &[
    "HTTP/1.1 ", "HTTP/1.0 ", "200 OK", "100 Continue\r\n\r\n", "101", "204", "304", "099", "\r\n", "\r\n\r\n", "\n",
    "Content-Length: ", "Transfer-Encoding: ", "Connection: ", "chunked", "gzip, ", "identity", "close", "keep-alive",
    "0\r\n\r\n", ";ext=1", "+", "-", ",", " ", "\t", "ffffffff", "18446744073709551615", "X-T: 1\r\n",
];
const JSON: &[&str] = &[
    "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u0000", "\\ud83d", "null", "true", "-", "1e400", "0.5",
    "\"Token\"", "\"RefreshToken\"", "\"Code\"", "\"Message\"", "\"errorCode\"", "\"exp\"", "\"deviceToken\"",
    "\"userId\"", "\"selectedStudy\"", "18446744073709551615", "9223372036854775808", ".", "=",
];
const URL: &[&str] = &[
    "https://", "http://", "localhost", "127.0.0.1", "[::1]", "@", ":", "/", "?", "#", "%", "%2e", "user:pw@", "xn--",
    "[", "]", ".", "0x7f.1", "2130706433", "\u{fe0f}", "\\", " ",
];

const WS: &[&str] = &[
    "0506AAAAAB", "RES0000001", "200", "404", "429", "{}", "{\"ChunkOrder\":", "\"MeasurementDataID\":\"m:",
    ":", "4294967296", "-1", "\u{e9}", "\u{fffd}", "\\u0000", " ",
];

fn target(name: &str) -> Target {
    let (corpus, tokens, run): (_, _, fn(&[u8])) = match name {
        "http1_reader" => ("http1", HTTP, dfx::fuzzing::http1_reader),
        "http1_oracle" => ("http1", HTTP, oracle::http1_oracle),
        "response_json" => ("response_json", JSON, dfx::fuzzing::response_json),
        "session_json" => ("session_json", JSON, dfx::fuzzing::session_json),
        "token_exp" => ("token_exp", JSON, dfx::fuzzing::token_exp),
        "base_url" => ("base_url", URL, dfx::fuzzing::base_url),
        "ws_frame" => ("ws_frame", WS, dfx::fuzzing::ws_frame),
        _ => unreachable!(),
    };
    Target { corpus, tokens, run }
}

const NAMES: [&str; 6] = ["http1_reader", "http1_oracle", "response_json", "session_json", "token_exp", "base_url"];

/// Longest input a mutation makes (libFuzzer's default for these seeds).
const MAX_LEN: usize = 4096;

/// xorshift64*: small, fast, reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>], tokens: &[&str]) {
    for _ in 0..1 + rng.below(4) {
        let len = input.len();
        let at = rng.below(len + 1);
        match rng.below(9) {
            0 if len > 0 => input[at.min(len - 1)] ^= 1 << rng.below(8),
            1 if len > 0 => input[at.min(len - 1)] = rng.next() as u8,
            2 => input.insert(at, rng.next() as u8),
            3 if len > 0 => {
                let end = (at + 1 + rng.below(16)).min(len);
                input.drain(at.min(len - 1)..end);
            }
            4 | 5 => {
                let token = tokens[rng.below(tokens.len())].as_bytes();
                input.splice(at..at, token.iter().copied());
            }
            6 if len > 0 => {
                let start = rng.below(len);
                let piece = input[start..(start + 1 + rng.below(32)).min(len)].to_vec();
                input.splice(at..at, piece);
            }
            7 => {
                let other = &corpus[rng.below(corpus.len())];
                let from = rng.below(other.len() + 1);
                input.truncate(at);
                input.extend_from_slice(&other[from..]);
            }
            _ => input.truncate(at),
        }
    }
    input.truncate(MAX_LEN);
}

fn corpus(dir: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|f| f.unwrap().path())
        .collect();
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

fn fail(name: &str, input: &[u8], seed: u64, what: &str) -> ! {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-replay");
    std::fs::create_dir_all(&dir).unwrap();
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let file = dir.join(format!("{name}-{hash:016x}"));
    std::fs::write(&file, input).unwrap();
    panic!(
        "{name} failed on {what} (seed {seed}), input saved to {}:\n{:?}",
        file.display(),
        String::from_utf8_lossy(input)
    );
}

fn replay_then_mutate(name: &str) {
    let target = target(name);
    let seeds = corpus(target.corpus);
    assert!(!seeds.is_empty(), "{name}: empty corpus");
    let seed = std::env::var("DFX_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_d0f0_u64);
    for (path, input) in &seeds {
        if catch_unwind(AssertUnwindSafe(|| (target.run)(input))).is_err() {
            fail(name, input, seed, &format!("corpus file {}", path.display()));
        }
    }
    let secs: f64 = std::env::var("DFX_FUZZ_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(6.0);
    let budget = Duration::from_secs_f64(secs / NAMES.len() as f64);
    let inputs: Vec<Vec<u8>> = seeds.into_iter().map(|(_, i)| i).collect();
    // Each target its own stream, so one target's runs do not shift another's.
    let mut rng = Rng(seed ^ name.bytes().fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(b)) | 1);
    let (start, mut runs) = (Instant::now(), 0u64);
    while start.elapsed() < budget {
        let mut input = inputs[rng.below(inputs.len())].clone();
        mutate(&mut rng, &mut input, &inputs, target.tokens);
        if catch_unwind(AssertUnwindSafe(|| (target.run)(&input))).is_err() {
            fail(name, &input, seed, &format!("mutation {runs}"));
        }
        runs += 1;
    }
    println!("{name}: {} corpus inputs, then {runs} mutations in {:.1?} (seed {seed})", inputs.len(), start.elapsed());
    assert!(budget.is_zero() || runs > 0, "{name}: no mutation ran in {budget:?}");
}

#[test]
fn http1_reader() {
    replay_then_mutate("http1_reader");
}

#[test]
fn http1_oracle() {
    replay_then_mutate("http1_oracle");
}

#[test]
fn response_json() {
    replay_then_mutate("response_json");
}

#[test]
fn session_json() {
    replay_then_mutate("session_json");
}

#[test]
fn token_exp() {
    replay_then_mutate("token_exp");
}

#[test]
fn base_url() {
    replay_then_mutate("base_url");
}

#[test]
fn ws_frame() {
    replay_then_mutate("ws_frame");
}
