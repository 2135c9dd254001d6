//! The Measurements group: create, data chunks in order (one function for
//! HTTP `measurements.data` and the socket's `0506`), per-chunk results
//! (pushed to `0510` subscribers), retrieve (with deterministic synthetic
//! results once every chunk's result is computed), list and delete; plus
//! the organization's view of measurements and the bulk deletes.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};
use tokio::sync::mpsc::UnboundedSender;

use crate::api::{
    answer, empty_object, forbidden, list_reply, not_found, optional_nonempty, required_str, validation_error, Call,
};
use crate::chunk_results::chunk_result;
use crate::reply::Reply;
use crate::stream_stats::MeasurementStats;
use crate::studies::SIGNALS;
use crate::tokens::{random_uuid, Class, Identity};
use crate::{now_secs, State};

/// Where a measurement is in its chunk sequence.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Created; the next chunk must be `FIRST`.
    Open,
    /// `FIRST` arrived; `CHUNK`s and then `LAST` may follow.
    Capturing,
    /// `LAST` arrived; no more data.
    Closed,
}

#[derive(Clone)]
pub(crate) struct Measurement {
    id: String,
    organization_id: String,
    user_id: String,
    device_id: String,
    profile_id: Option<String>,
    profile_name: Option<String>,
    study_id: String,
    partner_id: Option<String>,
    resolution: u64,
    phase: Phase,
    /// Chunks accepted so far (the next chunk's ChunkOrder).
    chunks: u64,
    /// Decoded payload bytes accepted so far.
    bytes: u64,
    created: u64,
    updated: u64,
    /// Chunks received again after they were accepted (by `ChunkOrder`).
    duplicates: u64,
    /// A digest of each accepted chunk (its Action kind and payload), so
    /// that a resend is told from a different chunk claiming its order.
    digests: Vec<u64>,
    /// Chunk results computed, in chunk order (result k at index k).
    results: Vec<Value>,
    /// Results of accepted chunks still waiting for the results delay.
    queued: VecDeque<Value>,
    /// Sockets subscribed to the results (`0510`).
    subscribers: Vec<Subscriber>,
}

/// A socket's `0510` subscription.
#[derive(Clone)]
pub(crate) struct Subscriber {
    /// The socket's own number (one subscription per socket and measurement).
    pub socket: u64,
    /// The `RequestID` result frames carry.
    pub request_id: String,
    /// Where the socket takes the frames to send.
    pub tx: UnboundedSender<Vec<u8>>,
}

impl Measurement {
    fn status(&self) -> &'static str {
        match self.phase {
            Phase::Open | Phase::Capturing => "CAPTURING",
            Phase::Closed if !self.queued.is_empty() => "PROCESSING",
            Phase::Closed => "COMPLETE",
        }
    }

    /// Moves the queued results up to chunk `k` to the computed ones and
    /// pushes each to every live subscriber.
    fn release_through(&mut self, k: u64) {
        while self.queued.front().is_some_and(|r| r["ChunkOrder"].as_u64().is_some_and(|o| o <= k)) {
            let result = self.queued.pop_front().expect("checked above");
            self.subscribers.retain(|s| s.tx.send(result_frame(&s.request_id, &result)).is_ok());
            self.results.push(result);
        }
    }

    fn stats(&self) -> MeasurementStats {
        MeasurementStats {
            chunks_accepted: self.chunks,
            duplicates: self.duplicates,
            results_computed: self.results.len() as u64,
            status: self.status().to_owned(),
        }
    }

    fn summary(&self) -> Value {
        json!({
            "ID": self.id,
            "UserID": self.user_id,
            "UserProfileID": self.profile_id,
            "UserProfileName": self.profile_name,
            "DeviceID": self.device_id,
            "StudyID": self.study_id,
            "StatusID": self.status(),
            "DeviceVersion": null,
            "Mode": "DISCRETE",
            "Created": self.created,
            "Updated": self.updated,
        })
    }

    fn detail(&self) -> Value {
        let complete = self.status() == "COMPLETE";
        let (results, names, units, descriptions, config) = if complete { results(self) } else { Default::default() };
        json!({
            "ID": self.id,
            "OrganizationID": self.organization_id,
            "StatusID": self.status(),
            "UserID": self.user_id,
            // Typed as plain strings here (nullable in the list): "" when unset.
            "UserProfileID": self.profile_id.as_deref().unwrap_or(""),
            "DeviceID": self.device_id,
            "StudyID": self.study_id,
            "Resolution": self.resolution,
            "DeviceVersion": "",
            "Comments": {},
            "Mode": "DISCRETE",
            "City": "",
            "State": "",
            "Country": "",
            "Region": "sandbox",
            "PartnerID": self.partner_id.as_deref().unwrap_or(""),
            "Results": results,
            "SignalNames": names,
            "SignalDescriptions": descriptions,
            "SignalConfig": config,
            "SignalUnits": units,
            "DataSizeBytes": self.bytes,
            "Created": self.created,
            "Updated": self.updated,
        })
    }
}

type Maps = (serde_json::Map<String, Value>, serde_json::Map<String, Value>, serde_json::Map<String, Value>, serde_json::Map<String, Value>, serde_json::Map<String, Value>);

/// Synthetic results, a pure function of the chunk count and byte count:
/// `Results.<SIGNAL>` is `[value]`, with `HR_BPM` = 60 + bytes % 40,
/// `MSI` = 1 + chunks % 5, `BP_SYSTOLIC` = 110 + chunks % 20,
/// `BP_DIASTOLIC` = 70 + bytes % 15.
fn results(m: &Measurement) -> Maps {
    let values = [60 + m.bytes % 40, 1 + m.chunks % 5, 110 + m.chunks % 20, 70 + m.bytes % 15];
    let names = ["Heart Rate", "Mental Stress Index", "Systolic Blood Pressure", "Diastolic Blood Pressure"];
    let units = ["bpm", "", "mmHg", "mmHg"];
    let mut out: Maps = Default::default();
    for i in 0..SIGNALS.len() {
        let k = SIGNALS[i].to_owned();
        out.0.insert(k.clone(), json!([values[i] as f64]));
        out.1.insert(k.clone(), json!(names[i]));
        out.2.insert(k.clone(), json!(units[i]));
        out.3.insert(k.clone(), json!(format!("{} (synthetic, dfx-sandbox)", names[i])));
        out.4.insert(k, json!({ "Decimals": 0 }));
    }
    out
}

/// A pushed result: the subscription's request id, `200`, the result.
fn result_frame(request_id: &str, result: &Value) -> Vec<u8> {
    crate::frames::response(request_id, 200, result.to_string().as_bytes())
}

type List = Arc<Mutex<Vec<Measurement>>>;

fn lock_list(list: &List) -> std::sync::MutexGuard<'_, Vec<Measurement>> {
    list.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every measurement, oldest first. Shared with the tasks that release
/// delayed results.
#[derive(Default)]
pub(crate) struct Store {
    list: List,
}

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Measurement>> {
        lock_list(&self.list)
    }

    /// The chunk counters and status of a measurement (any organization).
    pub(crate) fn stats(&self, id: &str) -> Option<MeasurementStats> {
        self.lock().iter().find(|m| m.id == id).map(Measurement::stats)
    }

    /// The chunk results computed so far, in chunk order.
    pub(crate) fn chunk_results(&self, id: &str) -> Option<Vec<Value>> {
        self.lock().iter().find(|m| m.id == id).map(|m| m.results.clone())
    }

    /// Subscribes a socket to a measurement of `who`'s organization: the
    /// results computed so far are queued to `sub.tx` at once (in chunk
    /// order), later ones as they are computed; under one lock, so none is
    /// missed or sent twice. Subscribing again replaces the socket's earlier
    /// subscription to the measurement (and replays again).
    pub(crate) fn subscribe(&self, who: &Identity, id: &str, sub: Subscriber) -> Result<(), Reply> {
        let mut list = self.lock();
        let m = list
            .iter_mut()
            .find(|m| m.id == id && m.organization_id == who.organization_id)
            .ok_or_else(|| invalid_measurement(id))?;
        for result in &m.results {
            let _ = sub.tx.send(result_frame(&sub.request_id, result));
        }
        m.subscribers.retain(|s| s.socket != sub.socket && !s.tx.is_closed());
        m.subscribers.push(sub);
        Ok(())
    }

    /// `(measurements, distinct users)` of a study.
    pub(crate) fn study_counts(&self, org: &str, study: &str) -> (usize, usize) {
        let list = self.lock();
        let of: Vec<&Measurement> = list.iter().filter(|m| m.organization_id == org && m.study_id == study).collect();
        let users: HashSet<&str> = of.iter().map(|m| m.user_id.as_str()).collect();
        (of.len(), users.len())
    }

    /// Measurements of a profile.
    pub(crate) fn profile_count(&self, org: &str, profile: &str) -> usize {
        self.lock()
            .iter()
            .filter(|m| m.organization_id == org && m.profile_id.as_deref() == Some(profile))
            .count()
    }

    fn remove_where(&self, f: impl Fn(&Measurement) -> bool) {
        self.lock().retain(|m| !f(m));
    }
}

/// `POST measurements` `{StudyID, Resolution, UserProfileID?, PartnerID?}` →
/// `{ID}`. Needs a user token bound to a device (from `users.login`): a
/// view-only token (`organizations.login`) cannot take measurements.
pub(crate) fn create(state: &State, call: &Call) -> Reply {
    answer(|| {
        let who = call.who()?;
        let Some(device_id) = who.device_id.clone().filter(|_| who.class == Class::User) else {
            return Err(forbidden("A view-only user token cannot take measurements; log in on a device"));
        };
        let study_id = required_str(&call.body, "StudyID")?;
        let resolution = call.body["Resolution"].as_u64().filter(|r| *r == 0 || *r == 100);
        let resolution = resolution.ok_or_else(|| validation_error("Resolution must be 0 or 100"))?;
        let profile_id = optional_nonempty(&call.body, "UserProfileID")?;
        let partner_id = optional_nonempty(&call.body, "PartnerID")?;
        let org = &who.organization_id;
        if state.studies.get(org, study_id).is_none() {
            return Err(not_found("study"));
        }
        let profile = match profile_id {
            Some(p) => Some(state.profiles.get(org, p).ok_or_else(|| not_found("profile"))?),
            None => None,
        };
        let id = random_uuid();
        let now = now_secs();
        state.measurements.lock().push(Measurement {
            id: id.clone(),
            organization_id: org.clone(),
            user_id: who.id.clone(),
            device_id,
            profile_id: profile.as_ref().map(|p| p.id.clone()),
            profile_name: profile.map(|p| p.name),
            study_id: study_id.to_owned(),
            partner_id: partner_id.map(str::to_owned),
            resolution,
            phase: Phase::Open,
            chunks: 0,
            bytes: 0,
            created: now,
            updated: now,
            duplicates: 0,
            digests: Vec::new(),
            results: Vec::new(),
            queued: VecDeque::new(),
            subscribers: Vec::new(),
        });
        Ok(Reply::json(200, &json!({ "ID": id })))
    })
}

fn invalid_measurement(id: &str) -> Reply {
    Reply::error(404, "INVALID_MEASUREMENT", &format!("No measurement has the ID \"{id}\""))
}

/// `POST measurements/{id}/data` `{Action, Payload, ChunkOrder?}` →
/// `{ID, ChunkOrder}`; see [`add_chunk`].
pub(crate) fn data(state: &State, call: &Call) -> Reply {
    answer(|| {
        let ack = add_chunk(state, call.who()?, call.id(), &call.body)?;
        Ok(Reply::json(200, &ack))
    })
}

/// One chunk of measurement `id`, from HTTP `measurements.data` or the
/// socket's `0506` (whose `Params` are ignored here); the answer is the
/// acknowledgement `{ID, ChunkOrder}`. In order:
///
/// 1. a rate-limit fault → 429 `RATE_LIMIT` (nothing applied);
/// 2. not a user token → 403 `FORBIDDEN` (the socket may be a device's); `Action` is `FIRST`,
///    `CHUNK` or `LAST`, then `::PROCESS` or `::IGNORE`; `Payload` standard
///    base64; `ChunkOrder`, if present and not null, a non-negative integer
///    (else 400 `VALIDATION_ERROR`);
/// 3. an unknown ID (or another organization's) → 404 `INVALID_MEASUREMENT`;
/// 4. `ChunkOrder` n below the chunks accepted → a duplicate: the same
///    acknowledgement, not applied, counted; above → 400 `MISALIGNED_CHUNK`;
///    absent → the next order;
/// 5. order: `FIRST` once, then any `CHUNK`s, then `LAST`; anything else
///    400 `MISALIGNED_CHUNK`; after `LAST` 400 `MEASUREMENT_CLOSED`.
///
/// An accepted chunk's result is computed at once and released to the
/// measurement (and its subscribers) after the results delay.
pub(crate) fn add_chunk(state: &State, who: &Identity, id: &str, body: &Map<String, Value>) -> Result<Value, Reply> {
    if state.stream_faults.take_rate_limit() {
        return Err(Reply::error(429, "RATE_LIMIT", "Too many chunks; slow down (dfx-sandbox rate-limit fault)"));
    }
    if who.class != Class::User {
        return Err(forbidden("Chunks need a user token"));
    }
    let action = required_str(body, "Action")?;
    let kind = match action.split_once("::") {
        Some((k @ ("FIRST" | "CHUNK" | "LAST"), "PROCESS" | "IGNORE")) => k,
        _ => return Err(validation_error("Action must be FIRST, CHUNK or LAST followed by ::PROCESS or ::IGNORE")),
    };
    let payload = required_str(body, "Payload")?;
    let bytes = STANDARD.decode(payload).map_err(|_| validation_error("Payload must be base64"))?;
    let order = match body.get("ChunkOrder") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| validation_error("ChunkOrder must be a non-negative integer"))?),
    };
    let mut list = state.measurements.lock();
    let m = list
        .iter_mut()
        .find(|m| m.id == id && m.organization_id == who.organization_id)
        .ok_or_else(|| invalid_measurement(id))?;
    let digest = chunk_digest(kind, &bytes);
    match order {
        Some(n) if n < m.chunks && m.digests.get(n as usize) == Some(&digest) => {
            m.duplicates += 1;
            return Ok(json!({ "ID": m.id, "ChunkOrder": n }));
        }
        // Another chunk claiming an order already taken: not a resend.
        Some(_) if m.phase == Phase::Closed => {
            return Err(Reply::error(400, "MEASUREMENT_CLOSED", "The measurement already received its LAST chunk"))
        }
        Some(n) if n < m.chunks => {
            return Err(Reply::error(
                400,
                "MISALIGNED_CHUNK",
                &format!("ChunkOrder {n} was already accepted with other content: the next chunk is {}", m.chunks),
            ))
        }
        Some(n) if n > m.chunks => {
            return Err(Reply::error(
                400,
                "MISALIGNED_CHUNK",
                &format!("ChunkOrder {n} skips ahead: the next chunk is {}", m.chunks),
            ))
        }
        _ => {}
    }
    let next = match (m.phase, kind) {
        (Phase::Closed, _) => {
            return Err(Reply::error(400, "MEASUREMENT_CLOSED", "The measurement already received its LAST chunk"))
        }
        (Phase::Open, "FIRST") => Phase::Capturing,
        (Phase::Capturing, "CHUNK") => Phase::Capturing,
        (Phase::Capturing, "LAST") => Phase::Closed,
        (Phase::Open, _) => {
            return Err(Reply::error(400, "MISALIGNED_CHUNK", "The first chunk of a measurement must be FIRST"))
        }
        _ => return Err(Reply::error(400, "MISALIGNED_CHUNK", "FIRST was already sent; send CHUNK or LAST")),
    };
    let k = m.chunks;
    m.digests.push(digest);
    m.phase = next;
    m.chunks += 1;
    m.bytes += bytes.len() as u64;
    m.updated = now_secs();
    m.queued.push_back(chunk_result(&m.id, k, &bytes));
    let ack = json!({ "ID": m.id, "ChunkOrder": k });
    let delay = state.stream_faults.results_delay();
    match tokio::runtime::Handle::try_current() {
        Ok(rt) if !delay.is_zero() => {
            rt.spawn(release_later(state.measurements.list.clone(), m.id.clone(), k, delay));
        }
        _ => m.release_through(k),
    }
    Ok(ack)
}

/// What tells a resend from another chunk: the kind of its Action and its
/// bytes (SipHash with fixed keys: the same in every run).
fn chunk_digest(kind: &str, bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    kind.hash(&mut h);
    bytes.hash(&mut h);
    h.finish()
}

/// After `delay`, releases the results of measurement `id` up to chunk `k`
/// (earlier ones first, so results stay in order whatever the timers do).
async fn release_later(list: List, id: String, k: u64, delay: Duration) {
    tokio::time::sleep(delay).await;
    if let Some(m) = lock_list(&list).iter_mut().find(|m| m.id == id) {
        m.release_through(k);
    }
}

/// `GET measurements/{id}`, `GET organizations/measurements/{measurementId}`.
pub(crate) fn retrieve(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = &call.who()?.organization_id;
        let list = state.measurements.lock();
        let m = list
            .iter()
            .find(|m| m.id == call.id() && &m.organization_id == org)
            .ok_or_else(|| not_found("measurement"))?;
        Ok(Reply::json(200, &m.detail()))
    })
}

/// `GET measurements` (the bearer's own) and `GET organizations/measurements`
/// (the whole organization), newest first, filtered by `StatusID`,
/// `StudyID`, `UserProfileID`, `UserProfileName`, `PartnerID`, `DeviceID`;
/// paged by `Limit` / `Offset`.
pub(crate) fn list(state: &State, call: &Call) -> Reply {
    answer(|| {
        let who = call.who()?;
        let mine_only = call.route.op == "measurements.list";
        let filters: Vec<(&str, Option<String>)> = ["StatusID", "StudyID", "UserProfileID", "UserProfileName", "PartnerID", "DeviceID"]
            .into_iter()
            .map(|k| (k, call.query(k)))
            .collect();
        let items: Vec<Value> = state
            .measurements
            .lock()
            .iter()
            .rev()
            .filter(|m| m.organization_id == who.organization_id && (!mine_only || m.user_id == who.id))
            .map(|m| {
                let mut v = m.summary();
                v["PartnerID"] = json!(m.partner_id);
                v
            })
            .filter(|v| {
                filters.iter().all(|(k, want)| want.as_deref().is_none_or(|w| v[*k].as_str().is_some_and(|s| s.eq_ignore_ascii_case(w))))
            })
            .map(|mut v| {
                if let Some(o) = v.as_object_mut() {
                    o.remove("PartnerID");
                }
                v
            })
            .collect();
        list_reply(call, items)
    })
}

/// `DELETE measurements/{id}`.
pub(crate) fn delete(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = &call.who()?.organization_id;
        let mut list = state.measurements.lock();
        let before = list.len();
        list.retain(|m| !(m.id == call.id() && &m.organization_id == org));
        if list.len() == before {
            return Err(not_found("measurement"));
        }
        Ok(empty_object())
    })
}

/// `DELETE users/{userId}/measurements`: every measurement of that user.
pub(crate) fn delete_by_user(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = call.who()?.organization_id.clone();
        let user = call.param("userId");
        state.measurements.remove_where(|m| m.organization_id == org && m.user_id == user);
        Ok(empty_object())
    })
}

/// `DELETE studies/{studyId}/measurements`: every measurement of the study.
pub(crate) fn delete_by_study(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = call.who()?.organization_id.clone();
        let study = call.param("studyId");
        state.studies.get(&org, study).ok_or_else(|| not_found("study"))?;
        state.measurements.remove_where(|m| m.organization_id == org && m.study_id == study);
        Ok(empty_object())
    })
}
