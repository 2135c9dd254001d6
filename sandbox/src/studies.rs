//! The Studies group: seed studies in every organization, their types, and
//! create / update / remove of an organization's own studies.

use std::sync::Mutex;

use serde_json::{json, Map, Value};

use crate::api::{answer, contains_ci, list_reply, not_found, required_str, success, validation_error, Call};
use crate::reply::Reply;
use crate::seed::{SANDBOX_ARCHIVED_STUDY_ID, SANDBOX_STUDY_ID, SANDBOX_TEMPLATE_ID, SDK_CONFIG_FILE, SDK_CONFIG_MD5};
use crate::tokens::random_uuid;
use crate::{now_secs, State};

/// The study types `GET studies/types` lists: `(ID, StatusID, Name, Description)`.
const TYPES: [(&str, &str, &str, &str); 2] = [
    ("HEALTH", "ACTIVE", "Health", "Vital signs and health risk measurements"),
    ("RESEARCH", "INACTIVE", "Research", "Studies for research organizations"),
];

/// The signals of every sandbox study (also the keys of measurement results).
pub(crate) const SIGNALS: [&str; 4] = ["HR_BPM", "MSI", "BP_SYSTOLIC", "BP_DIASTOLIC"];

#[derive(Clone)]
pub(crate) struct Study {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub description: String,
    pub status_id: String,
    pub template_id: String,
    pub config: Value,
    pub created: u64,
    pub updated: u64,
}

#[derive(Default)]
pub(crate) struct Store {
    studies: Mutex<Vec<Study>>,
}

impl Store {
    /// The two seed studies in each organization.
    pub(crate) fn seeded(org_ids: &[String]) -> Store {
        let now = now_secs();
        let mut studies = Vec::new();
        for org in org_ids {
            for (id, name, status) in [
                (SANDBOX_STUDY_ID, "Sandbox Health Study", "ACTIVE"),
                (SANDBOX_ARCHIVED_STUDY_ID, "Sandbox Archived Study", "INACTIVE"),
            ] {
                studies.push(Study {
                    id: id.to_owned(),
                    organization_id: org.clone(),
                    name: name.to_owned(),
                    description: format!("{name} (dfx-sandbox seed)"),
                    status_id: status.to_owned(),
                    template_id: SANDBOX_TEMPLATE_ID.to_owned(),
                    config: json!({}),
                    created: now,
                    updated: now,
                });
            }
        }
        Store { studies: Mutex::new(studies) }
    }

    /// Study `id` of `org`.
    pub(crate) fn get(&self, org: &str, id: &str) -> Option<Study> {
        self.lock().iter().find(|s| s.id == id && s.organization_id == org).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Study>> {
        self.studies.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `Measurements` and `Participants` of a study, from the measurement store.
fn counts(state: &State, s: &Study) -> (usize, usize) {
    state.measurements.study_counts(&s.organization_id, &s.id)
}

/// `GET studies` `?StatusID&Name&Limit&Offset`.
pub(crate) fn list(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = &call.who()?.organization_id;
        let status = call.query("StatusID");
        let name = call.query("Name");
        let studies: Vec<Study> = state.studies.lock().iter().filter(|s| &s.organization_id == org).cloned().collect();
        let items = studies
            .iter()
            .filter(|s| status.as_deref().is_none_or(|v| s.status_id.eq_ignore_ascii_case(v)))
            .filter(|s| name.as_deref().is_none_or(|n| contains_ci(&s.name, n)))
            .map(|s| {
                let (m, p) = counts(state, s);
                json!({
                    "ID": s.id, "Name": s.name, "Description": s.description,
                    "StudyTemplateID": s.template_id, "Measurements": m, "Participants": p,
                    "StatusID": s.status_id, "Created": s.created, "Updated": s.updated,
                })
            })
            .collect();
        list_reply(call, items)
    })
}

/// `GET studies/{studyId}`.
pub(crate) fn retrieve(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = &call.who()?.organization_id;
        let s = state.studies.get(org, call.param("studyId")).ok_or_else(|| not_found("study"))?;
        let (m, p) = counts(state, &s);
        Ok(Reply::json(
            200,
            &json!({
                "ID": s.id, "Name": s.name, "Description": s.description, "StatusID": s.status_id,
                "OrganizationID": s.organization_id, "StudyTemplateID": s.template_id,
                "StudyTemplateName": "Sandbox Template", "Measurements": m, "Participants": p,
                "Signals": SIGNALS, "Created": s.created, "Updated": s.updated,
            }),
        ))
    })
}

/// `GET studies/types` `?StatusID`.
pub(crate) fn types(_: &State, call: &Call) -> Reply {
    let status = call.query("StatusID");
    let items: Vec<Value> = TYPES
        .iter()
        .filter(|t| status.as_deref().is_none_or(|v| t.1.eq_ignore_ascii_case(v)))
        .map(|(id, st, name, desc)| json!({ "ID": id, "StatusID": st, "Name": name, "Description": desc }))
        .collect();
    Reply::json(200, &Value::Array(items))
}

/// `POST studies/sdkconfig` `{StudyID, SDKID?, MD5Hash?}`: the config and its
/// MD5; 304 with no body when `MD5Hash` is already the current one.
pub(crate) fn sdk_config(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = &call.who()?.organization_id;
        let id = required_str(&call.body, "StudyID")?;
        state.studies.get(org, id).ok_or_else(|| not_found("study"))?;
        if call.body.get("MD5Hash").and_then(Value::as_str) == Some(SDK_CONFIG_MD5) {
            return Ok(Reply::empty(304));
        }
        Ok(Reply::json(200, &json!({ "ConfigFile": SDK_CONFIG_FILE, "MD5Hash": SDK_CONFIG_MD5 })))
    })
}

/// Name, Description, (StatusID,) StudyTemplateID: strings; Config: an object.
fn fields(body: &Map<String, Value>, names: &[&str]) -> Result<Vec<String>, Reply> {
    if !body.get("Config").is_some_and(Value::is_object) {
        return Err(validation_error("Config must be an object"));
    }
    names.iter().map(|n| required_str(body, n).map(str::to_owned)).collect()
}

/// `POST studies` `{Name, Description, StudyTemplateID, Config}` → `{ID}`.
pub(crate) fn create(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = call.who()?.organization_id.clone();
        let f = fields(&call.body, &["Name", "Description", "StudyTemplateID"])?;
        let id = random_uuid();
        let now = now_secs();
        state.studies.lock().push(Study {
            id: id.clone(),
            organization_id: org,
            name: f[0].clone(),
            description: f[1].clone(),
            status_id: "ACTIVE".into(),
            template_id: f[2].clone(),
            config: call.body["Config"].clone(),
            created: now,
            updated: now,
        });
        Ok(Reply::json(200, &json!({ "ID": id })))
    })
}

/// `PATCH studies/{studyId}` `{Name, Description, StatusID, Config}`.
pub(crate) fn update(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = call.who()?.organization_id.clone();
        let f = fields(&call.body, &["Name", "Description", "StatusID"])?;
        let mut studies = state.studies.lock();
        let s = studies
            .iter_mut()
            .find(|s| s.id == call.param("studyId") && s.organization_id == org)
            .ok_or_else(|| not_found("study"))?;
        s.name = f[0].clone();
        s.description = f[1].clone();
        s.status_id = f[2].clone();
        s.config = call.body["Config"].clone();
        s.updated = now_secs();
        Ok(success())
    })
}

/// `DELETE studies/{studyId}`.
pub(crate) fn remove(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = call.who()?.organization_id.clone();
        let mut studies = state.studies.lock();
        let before = studies.len();
        studies.retain(|s| !(s.id == call.param("studyId") && s.organization_id == org));
        if studies.len() == before {
            return Err(not_found("study"));
        }
        Ok(success())
    })
}
