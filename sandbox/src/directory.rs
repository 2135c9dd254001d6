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

pub(crate) struct User {
    pub id: String,
    pub email: String,
    pub password: String,
    pub phone_number: Option<String>,
    pub organization_id: String,
    pub role_id: String,
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
    users: Vec<User>,
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
        Directory { orgs, users, licenses: Mutex::new(licenses) }
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
    pub(crate) fn login(&self, organization_id: &str, email: &str, password: &str) -> Option<&User> {
        self.users.iter().find(|u| {
            u.organization_id == organization_id
                && u.email.eq_ignore_ascii_case(email)
                && u.password == password
        })
    }

    pub(crate) fn user_by_phone(&self, organization_id: &str, phone: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.organization_id == organization_id && u.phone_number.as_deref() == Some(phone))
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
        let user = self.users.first();
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
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<License>> {
        self.licenses.lock().unwrap_or_else(|e| e.into_inner())
    }
}
