//! Beneficiary accounts: the body of `POST /api/v2/accounts` and the account KillB answers.

use giro_domain::co_banks;
use serde::Deserialize;

/// A beneficiary account as KillB answers it (`/api/v2/accounts`, and the `data` of its ACCOUNT
/// webhooks); its details are not read back.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: String,
    pub status: String,
    /// PSE, SPEI, ACH, WIRE, TRANSFIYA or WALLET.
    #[serde(default, rename = "type")]
    pub account_type: Option<String>,
    /// The user the account is linked to.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Giro's beneficiary id, sent as the account's `externalId`.
    #[serde(default)]
    pub external_id: Option<String>,
}

impl Account {
    /// The account's status in Giro's terms; `None` for a status KillB has not documented.
    pub fn beneficiary_status(&self) -> Option<giro_domain::beneficiary::BeneficiaryStatus> {
        use giro_domain::beneficiary::BeneficiaryStatus as S;
        match self.status.as_str() {
            "ACTIVE" => Some(S::Active),
            "PENDING" => Some(S::Pending),
            "REJECTED" => Some(S::Rejected),
            "INACTIVE" => Some(S::Inactive),
            _ => None,
        }
    }
}

/// The `data` fields `PATCH /api/v2/accounts/{id}` may change (seed 002: document, CLABE,
/// wallet address, account number, bank code; `clabeType` goes with the CLABE).
pub const UPDATABLE: [&str; 6] = [
    "document",
    "clabe",
    "clabeType",
    "address",
    "accountNumber",
    "bankCode",
];

/// The body of `POST /api/v2/accounts` for a registered beneficiary: its type, its user, the beneficiary id
/// as `externalId` (KillB's idempotency), and its details in KillB's names (camelCase; the
/// Colombian account's kind is `data.type`; bank codes in KillB's list form).
pub fn account_body(
    id: &str,
    user_id: &str,
    registration: &giro_domain::beneficiary::BeneficiaryRegistered,
) -> serde_json::Value {
    let data = killb_data(serde_json::to_value(&registration.data).unwrap_or_default());
    serde_json::json!({
        "type": registration.account_type,
        "userId": user_id,
        "externalId": id,
        "data": data,
    })
}

/// The `data` of `PATCH /api/v2/accounts/{id}` for Giro's changes: the same spelling as a
/// creation's (camelCase, PASSPORT, bank codes in KillB's list form).
pub fn account_patch(
    changes: &giro_domain::beneficiary::AccountChanges,
) -> serde_json::Map<String, serde_json::Value> {
    match killb_data(serde_json::to_value(changes).unwrap_or_default()) {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// Giro's account fields in KillB's names and spellings.
fn killb_data(giro: serde_json::Value) -> serde_json::Value {
    fn camel(key: &str) -> String {
        let mut out = String::with_capacity(key.len());
        let mut upper = false;
        for c in key.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.extend(c.to_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }
    fn rename(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| {
                    let k = if k == "account_type" {
                        "type".to_string()
                    } else {
                        camel(&k)
                    };
                    (k, rename(v))
                })
                .collect(),
            other => other,
        }
    }
    let mut data = rename(giro);
    // KillB writes the passport as PASSPORT (Giro, like Cashy, also takes PA).
    if let Some(doc_type) = data.pointer_mut("/document/type")
        && doc_type
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("PA"))
    {
        *doc_type = serde_json::Value::String("PASSPORT".to_string());
    }
    if let Some(code) = data
        .get("bankCode")
        .and_then(|c| c.as_str())
        .map(co_banks::ach_code)
    {
        data["bankCode"] = serde_json::Value::String(code.to_string());
    }
    data
}
