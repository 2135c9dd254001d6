//! Organizations, licences (with their seats) and users: what the login and
//! registration endpoints look things up in.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::seed::{LicenseConfig, UserConfig, SANDBOX_ORG_ID, SANDBOX_ORG_IDENTIFIER, USER_ROLE_ID};
use crate::tokens::random_uuid;

pub(crate) struct Org {
    pub identifier: String,
    pub id: String,
}

#[derive(Clone)]
pub(crate) struct User {
    pub id: String,
    pub email: String,
    pub password: String,
    pub phone_number: Option<String>,
    pub organization_id: String,
    pub role_id: String,
    /// `FirstName`, `LastName`, `Gender`, `DateOfBirth`, `HeightCm`,
    /// `WeightKg` as last set (absent = never set).
    pub attrs: serde_json::Map<String, serde_json::Value>,
    /// Unix seconds.
    pub created: u64,
    pub updated: u64,
}

/// The profile attributes a user create or update may set.
pub(crate) const USER_ATTRS: [&str; 6] = ["FirstName", "LastName", "Gender", "DateOfBirth", "HeightCm", "WeightKg"];

impl User {
    /// The user record as `GET users` answers it. `Password` is always empty:
    /// the sandbox never echoes a secret.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let attr = |k: &str, default: serde_json::Value| self.attrs.get(k).cloned().unwrap_or(default);
        serde_json::json!({
            "ID": self.id,
            "OrganizationID": self.organization_id,
            "RoleID": self.role_id,
            "StatusID": "ACTIVE",
            "Email": self.email,
            "Password": "",
            "FirstName": attr("FirstName", "".into()),
            "LastName": attr("LastName", "".into()),
            "Gender": attr("Gender", "".into()),
            "DateOfBirth": attr("DateOfBirth", "".into()),
            "HeightCm": attr("HeightCm", serde_json::Value::Null),
            "WeightKg": attr("WeightKg", serde_json::Value::Null),
            "PhoneNumber": self.phone_number,
            "DeviceID": "",
            "ResetToken": null,
            "ResetTokenDate": null,
            "AvatarURI": null,
            "IsVerified": true,
            "VerificationCode": "",
            "LoginMethod": "Email",
            "SSOID": null,
            "Region": "sandbox",
            "MFAEnabled": false,
            "Created": self.created,
            "Updated": self.updated,
        })
    }
}

/// Why a user could not be created or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserError {
    /// Another user of the organization has this e-mail.
    EmailTaken,
    NotFound,
}

struct License {
    key: String,
    organization: String,
    seats: u32,
    /// DeviceIDs registered with this licence (one seat each).
    devices: HashSet<String>,
}

/// Why a registration found no seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeatError {
    /// The key is unknown or belongs to another organization.
    NotFound,
    Exhausted,
}

pub(crate) struct Directory {
    orgs: Vec<Org>,
    users: Mutex<Vec<User>>,
    licenses: Mutex<Vec<License>>,
}

impl Directory {
    /// The organizations are `orgs` (`["dfxdemo"]` when empty) followed by any
    /// other organization a licence or user names. `dfxdemo` gets the fixed
    /// [`SANDBOX_ORG_ID`]; the others random IDs.
    pub(crate) fn new(orgs: &[String], licenses: &[LicenseConfig], users: &[UserConfig]) -> Directory {
        let mut idents: Vec<&str> = orgs.iter().map(String::as_str).collect();
        if idents.is_empty() {
            idents.push(SANDBOX_ORG_IDENTIFIER);
        }
        let named = licenses.iter().map(|l| l.organization.as_str());
        for ident in named.chain(users.iter().map(|u| u.organization.as_str())) {
            if !idents.contains(&ident) {
                idents.push(ident);
            }
        }
        let orgs: Vec<Org> = idents
            .into_iter()
            .map(|identifier| Org {
                identifier: identifier.to_owned(),
                id: if identifier == SANDBOX_ORG_IDENTIFIER {
                    SANDBOX_ORG_ID.to_owned()
                } else {
                    random_uuid()
                },
            })
            .collect();
        let org_id = |ident: &str| orgs.iter().find(|o| o.identifier == ident).map(|o| o.id.clone());
        let users = users
            .iter()
            .map(|u| User {
                id: random_uuid(),
                email: u.email.clone(),
                password: u.password.clone(),
                phone_number: u.phone_number.clone(),
                organization_id: org_id(&u.organization).expect("added above"),
                role_id: USER_ROLE_ID.to_owned(),
                attrs: Default::default(),
                created: crate::now_secs(),
                updated: crate::now_secs(),
            })
            .collect();
        let licenses = licenses
            .iter()
            .map(|l| License {
                key: l.key.clone(),
                organization: l.organization.clone(),
                seats: l.seats,
                devices: HashSet::new(),
            })
            .collect();
        Directory { orgs, users: Mutex::new(users), licenses: Mutex::new(licenses) }
    }

    /// Every organization's ID.
    pub(crate) fn org_ids(&self) -> Vec<String> {
        self.orgs.iter().map(|o| o.id.clone()).collect()
    }

    /// New control-plane pairs belong to this one.
    pub(crate) fn first_org(&self) -> &Org {
        &self.orgs[0]
    }

    pub(crate) fn org(&self, identifier: &str) -> Option<&Org> {
        self.orgs.iter().find(|o| o.identifier == identifier)
    }

    pub(crate) fn org_by_id(&self, id: &str) -> Option<&Org> {
        self.orgs.iter().find(|o| o.id == id)
    }

    /// The user of `organization_id` with these credentials.
    pub(crate) fn login(&self, organization_id: &str, email: &str, password: &str) -> Option<User> {
        self.lock_users()
            .iter()
            .find(|u| {
                u.organization_id == organization_id
                    && u.email.eq_ignore_ascii_case(email)
                    && u.password == password
            })
            .cloned()
    }

    pub(crate) fn user_by_phone(&self, organization_id: &str, phone: &str) -> Option<User> {
        self.lock_users()
            .iter()
            .find(|u| u.organization_id == organization_id && u.phone_number.as_deref() == Some(phone))
            .cloned()
    }

    /// Takes a seat of licence `key` of organization `org_identifier` for
    /// `device_id`.
    pub(crate) fn claim_seat(&self, key: &str, org_identifier: &str, device_id: &str) -> Result<(), SeatError> {
        let mut licenses = self.lock();
        let lic = licenses
            .iter_mut()
            .find(|l| l.key == key && l.organization == org_identifier)
            .ok_or(SeatError::NotFound)?;
        if lic.devices.len() >= lic.seats as usize {
            return Err(SeatError::Exhausted);
        }
        lic.devices.insert(device_id.to_owned());
        Ok(())
    }

    /// Frees the seat `device_id` held, if it held one.
    pub(crate) fn free_seat(&self, device_id: &str) {
        for lic in self.lock().iter_mut() {
            lic.devices.remove(device_id);
        }
    }

    /// Seats in use of licence `key` (first licence with that key).
    pub(crate) fn seats_used(&self, key: &str) -> Option<u32> {
        self.lock().iter().find(|l| l.key == key).map(|l| l.devices.len() as u32)
    }

    /// `GET /_sandbox/seed`: the first licence and the first user.
    pub(crate) fn seed_json(&self) -> serde_json::Value {
        let licenses = self.lock();
        let lic = licenses.first();
        let users = self.lock_users();
        let user = users.first();
        let org = match (lic, user) {
            (Some(l), _) => self.org(&l.organization),
            (None, Some(u)) => self.org_by_id(&u.organization_id),
            (None, None) => Some(self.first_org()),
        };
        serde_json::json!({
            "LicenseKey": lic.map(|l| l.key.clone()),
            "Organization": org.map(|o| o.identifier.clone()),
            "OrganizationID": org.map(|o| o.id.clone()),
            "Email": user.map(|u| u.email.clone()),
            "Password": user.map(|u| u.password.clone()),
            "PhoneNumber": user.and_then(|u| u.phone_number.clone()),
            "StudyID": crate::seed::SANDBOX_STUDY_ID,
            "ArchivedStudyID": crate::seed::SANDBOX_ARCHIVED_STUDY_ID,
        })
    }

    /// Adds a user to `organization_id`. Returns the new user's ID.
    pub(crate) fn create_user(
        &self,
        organization_id: &str,
        email: &str,
        password: &str,
        phone_number: Option<String>,
        attrs: serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, UserError> {
        let mut users = self.lock_users();
        if !email.is_empty()
            && users.iter().any(|u| u.organization_id == organization_id && u.email.eq_ignore_ascii_case(email))
        {
            return Err(UserError::EmailTaken);
        }
        let now = crate::now_secs();
        let id = random_uuid();
        users.push(User {
            id: id.clone(),
            email: email.to_owned(),
            password: password.to_owned(),
            phone_number,
            organization_id: organization_id.to_owned(),
            role_id: USER_ROLE_ID.to_owned(),
            attrs,
            created: now,
            updated: now,
        });
        Ok(id)
    }

    /// The user `id` of `organization_id`.
    pub(crate) fn user(&self, organization_id: &str, id: &str) -> Option<User> {
        self.lock_users().iter().find(|u| u.id == id && u.organization_id == organization_id).cloned()
    }

    /// Every user of `organization_id`, oldest first.
    pub(crate) fn users_of(&self, organization_id: &str) -> Vec<User> {
        self.lock_users().iter().filter(|u| u.organization_id == organization_id).cloned().collect()
    }

    /// Applies `change` to user `id` of `organization_id` (and bumps `updated`).
    /// `change` may fail; an e-mail it sets must stay unique in the organization.
    pub(crate) fn update_user(
        &self,
        organization_id: &str,
        id: &str,
        change: impl FnOnce(&mut User),
    ) -> Result<(), UserError> {
        let mut users = self.lock_users();
        let idx = users
            .iter()
            .position(|u| u.id == id && u.organization_id == organization_id)
            .ok_or(UserError::NotFound)?;
        let mut changed = users[idx].clone();
        change(&mut changed);
        let clash = users.iter().enumerate().any(|(i, u)| {
            i != idx
                && !changed.email.is_empty()
                && u.organization_id == organization_id
                && u.email.eq_ignore_ascii_case(&changed.email)
        });
        if clash {
            return Err(UserError::EmailTaken);
        }
        changed.updated = crate::now_secs();
        users[idx] = changed;
        Ok(())
    }

    /// Removes user `id` of `organization_id`.
    pub(crate) fn remove_user(&self, organization_id: &str, id: &str) -> Result<(), UserError> {
        let mut users = self.lock_users();
        let before = users.len();
        users.retain(|u| !(u.id == id && u.organization_id == organization_id));
        if users.len() == before {
            return Err(UserError::NotFound);
        }
        Ok(())
    }

    fn lock_users(&self) -> std::sync::MutexGuard<'_, Vec<User>> {
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<License>> {
        self.licenses.lock().unwrap_or_else(|e| e.into_inner())
    }
}
