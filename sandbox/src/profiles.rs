//! The Profiles group (and the organization's view of profiles): the people
//! a user measures, each owned by the user (or device) that created it.

use std::sync::Mutex;

use serde_json::{json, Value};

use crate::api::{answer, contains_ci, empty_object, list_reply, not_found, required_str, Call};
use crate::reply::Reply;
use crate::tokens::random_uuid;
use crate::{now_secs, State};

#[derive(Clone)]
pub(crate) struct Profile {
    pub id: String,
    pub organization_id: String,
    /// `ID` claim of the token that created it.
    pub owner: String,
    pub name: String,
    pub email: String,
    pub status: String,
    pub created: u64,
    pub updated: u64,
}

#[derive(Default)]
pub(crate) struct Store {
    profiles: Mutex<Vec<Profile>>,
}

impl Store {
    pub(crate) fn get(&self, org: &str, id: &str) -> Option<Profile> {
        self.lock().iter().find(|p| p.id == id && p.organization_id == org).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Profile>> {
        self.profiles.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn to_json(state: &State, p: &Profile, count_as_string: bool) -> Value {
    let count = state.measurements.profile_count(&p.organization_id, &p.id);
    json!({
        "ID": p.id,
        "Name": p.name,
        "Email": p.email,
        "Status": p.status,
        // organizations.listProfiles documents MeasurementCount as a string.
        "MeasurementCount": if count_as_string { json!(count.to_string()) } else { json!(count) },
        "Created": p.created,
        "Updated": p.updated,
    })
}

/// `POST users/profiles` `{Name, Email}` → `{ID}`.
pub(crate) fn create(state: &State, call: &Call) -> Reply {
    answer(|| {
        let who = call.who()?;
        let name = required_str(&call.body, "Name")?;
        let email = required_str(&call.body, "Email")?;
        let id = random_uuid();
        let now = now_secs();
        state.profiles.lock().push(Profile {
            id: id.clone(),
            organization_id: who.organization_id.clone(),
            owner: who.id.clone(),
            name: name.to_owned(),
            email: email.to_owned(),
            status: "ACTIVE".into(),
            created: now,
            updated: now,
        });
        Ok(Reply::json(200, &json!({ "ID": id })))
    })
}

/// `GET users/profiles/{profileId}`, `GET organizations/profiles/{profileId}`.
pub(crate) fn retrieve(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = &call.who()?.organization_id;
        let p = state.profiles.get(org, call.param("profileId")).ok_or_else(|| not_found("profile"))?;
        Ok(Reply::json(200, &to_json(state, &p, false)))
    })
}

/// `GET users/profiles` (the bearer's own profiles) and `GET
/// organizations/profiles` (every profile of the organization), filtered by
/// `UserProfileName` (substring), `Status`/`StatusID`, `OwnerUser`; paged by
/// `Limit`/`Offset`; oldest first.
pub(crate) fn list(state: &State, call: &Call) -> Reply {
    answer(|| {
        let who = call.who()?;
        let whole_org = call.route.op == "organizations.listProfiles";
        let owner = if whole_org { call.query("OwnerUser") } else { Some(who.id.clone()) };
        list_filtered(state, call, &who.organization_id, owner.as_deref(), whole_org)
    })
}

/// `GET users/{userId}/profiles`: the profiles that user owns; 404 when the
/// organization has no such user and no profile names it as owner.
pub(crate) fn list_by_user(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = call.who()?.organization_id.clone();
        let user = call.param("userId");
        let owns_any = state.profiles.lock().iter().any(|p| p.owner == user && p.organization_id == org);
        if !owns_any && state.directory.user(&org, user).is_none() {
            return Err(not_found("user"));
        }
        list_filtered(state, call, &org, Some(user), false)
    })
}

fn list_filtered(state: &State, call: &Call, org: &str, owner: Option<&str>, whole_org: bool) -> Result<Reply, Reply> {
    let name = call.query("UserProfileName");
    let status = call.query("Status").or_else(|| call.query("StatusID"));
    let profiles: Vec<Profile> = state.profiles.lock().iter().filter(|p| p.organization_id == org).cloned().collect();
    let items = profiles
        .iter()
        .filter(|p| owner.is_none_or(|o| p.owner == o))
        .filter(|p| name.as_deref().is_none_or(|n| contains_ci(&p.name, n)))
        .filter(|p| status.as_deref().is_none_or(|s| p.status.eq_ignore_ascii_case(s)))
        .map(|p| {
            let mut v = to_json(state, p, whole_org);
            let owner_email = state.directory.user(org, &p.owner).map(|u| u.email).unwrap_or_default();
            if whole_org {
                v["OwnerUser"] = json!(owner_email);
            } else {
                v["OwnerUserEmail"] = json!(owner_email);
            }
            v
        })
        .collect();
    let mut reply = list_reply(call, items)?;
    if call.route.op == "profiles.list" {
        // profiles.list documents TotalCount as a string.
        let mut v: Value = serde_json::from_slice(&reply.body).unwrap_or_default();
        for item in v.as_array_mut().into_iter().flatten() {
            item["TotalCount"] = json!(item["TotalCount"].to_string());
        }
        reply = Reply::json(200, &v);
    }
    Ok(reply)
}

/// `PATCH users/profiles/{profileId}`, `PATCH organizations/profiles/{profileId}`
/// `{Name, Email, Status}`.
pub(crate) fn update(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = call.who()?.organization_id.clone();
        let name = required_str(&call.body, "Name")?;
        let email = required_str(&call.body, "Email")?;
        let status = required_str(&call.body, "Status")?;
        let mut profiles = state.profiles.lock();
        let p = profiles
            .iter_mut()
            .find(|p| p.id == call.param("profileId") && p.organization_id == org)
            .ok_or_else(|| not_found("profile"))?;
        p.name = name.to_owned();
        p.email = email.to_owned();
        p.status = status.to_owned();
        p.updated = now_secs();
        Ok(empty_object())
    })
}

/// `DELETE users/profiles/{profileId}`.
pub(crate) fn remove(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = call.who()?.organization_id.clone();
        let mut profiles = state.profiles.lock();
        let before = profiles.len();
        profiles.retain(|p| !(p.id == call.param("profileId") && p.organization_id == org));
        if profiles.len() == before {
            return Err(not_found("profile"));
        }
        Ok(empty_object())
    })
}
