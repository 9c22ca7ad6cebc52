//! KillB's documented calls besides creating and reading one payout (seeds 000 and 002): listing
//! payouts with their filters and paging, beneficiary accounts (create, search, by user, update,
//! delete), the bank list, webhook registrations and pre-fund accounts.

use reqwest::header::CONTENT_TYPE;

use super::client::{KillbClient, KillbError};
use super::wire::{
    Account, AccountQuery, Bank, CreatePrefund, Payout, PayoutPage, PayoutQuery, Prefund,
    RegisterWebhook, Webhook,
};

/// How many pages [`KillbClient::payouts_by_external_id`] reads at most (of 100 payouts each).
const MAX_PAGES: u32 = 50;

impl KillbClient {
    /// `GET /api/v2/payouts?page&limit&status&externalId&id` → `{payouts, totalPage}`.
    pub async fn list_payouts(&self, query: &PayoutQuery) -> Result<PayoutPage, KillbError> {
        let url = self.url(&["payouts"]);
        let pairs = query.pairs();
        self.authed(|| self.http().get(url.clone()).query(&pairs))
            .await
    }

    /// Every payout created under `external_id`, newest first, from every page KillB has (so a
    /// payout on a later page is not missed).
    pub async fn payouts_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Vec<Payout>, KillbError> {
        let mut query = PayoutQuery {
            external_id: Some(external_id.to_string()),
            limit: 100,
            ..PayoutQuery::new()
        };
        let mut found = Vec::new();
        loop {
            let page = self.list_payouts(&query).await?;
            let empty = page.payouts.is_empty();
            found.extend(
                page.payouts
                    .into_iter()
                    .filter(|p| p.external_id.as_deref() == Some(external_id)),
            );
            let last = page.total_page.unwrap_or(1);
            if empty || u64::from(query.page) >= last || query.page >= MAX_PAGES {
                return Ok(found);
            }
            query.page += 1;
        }
    }

    /// `POST /api/v2/accounts`: a beneficiary account. KillB answers a known `externalId` with
    /// the account it already has, so a creation whose answer was lost is simply sent again.
    pub async fn post_account(&self, body: &serde_json::Value) -> Result<Account, KillbError> {
        self.send_json(reqwest::Method::POST, &["accounts"], body)
            .await
    }

    /// The account `id`, read through the documented search (`GET /api/v2/accounts?ids=<id>`;
    /// seed 002 documents no `GET /api/v2/accounts/{id}`). Not listed: a 404 refusal.
    pub async fn account(&self, id: &str) -> Result<Account, KillbError> {
        let query = AccountQuery {
            ids: vec![id.to_string()],
            ..AccountQuery::default()
        };
        self.search_accounts(&query)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| KillbError::Refused {
                status: 404,
                code: "ACCOUNT.0001".into(),
                message: format!("KillB lists no account {id}"),
            })
    }

    /// `GET /api/v2/accounts?ids&userId&type&accountNumber&address`.
    pub async fn search_accounts(&self, query: &AccountQuery) -> Result<Vec<Account>, KillbError> {
        let url = self.url(&["accounts"]);
        let pairs = query.pairs();
        self.authed(|| self.http().get(url.clone()).query(&pairs))
            .await
    }

    /// `GET /api/v2/accounts/userId/{userId}`: every account of one user.
    pub async fn accounts_of_user(&self, user_id: &str) -> Result<Vec<Account>, KillbError> {
        let url = self.url(&["accounts", "userId", user_id]);
        self.authed(|| self.http().get(url.clone())).await
    }

    /// `PATCH /api/v2/accounts/{accountId} {data: {...}}` with only the fields seed 002 lets
    /// change (see [`super::wire::UPDATABLE`]); KillB may put the account back to PENDING while it
    /// verifies it again.
    pub async fn update_account(
        &self,
        id: &str,
        data: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Account, KillbError> {
        if let Some(field) = data
            .keys()
            .find(|k| !super::wire::UPDATABLE.contains(&k.as_str()))
        {
            return Err(KillbError::NotSent(format!(
                "data.{field} cannot be updated at KillB (only {})",
                super::wire::UPDATABLE.join(", ")
            )));
        }
        let body = serde_json::json!({ "data": data });
        self.send_json(reqwest::Method::PATCH, &["accounts", id], &body)
            .await
    }

    /// `DELETE /api/v2/accounts/{accountId}`; KillB refuses while pending or processing
    /// transactions use the account.
    pub async fn delete_account(&self, id: &str) -> Result<(), KillbError> {
        let url = self.url(&["accounts", id]);
        self.authed_done(|| self.http().delete(url.clone())).await
    }

    /// `GET /api/v2/banks?countryCode=<country>`: the valid `bankCode`s.
    pub async fn banks(&self, country: &str) -> Result<Vec<Bank>, KillbError> {
        let url = self.url(&["banks"]);
        self.authed(|| {
            self.http()
                .get(url.clone())
                .query(&[("countryCode", country)])
        })
        .await
    }

    /// `GET /api/v2/webhooks`: the registrations (listed by KillB's API reference and its
    /// sandbox; seed 000 only names the registration itself).
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, KillbError> {
        let url = self.url(&["webhooks"]);
        self.authed(|| self.http().get(url.clone())).await
    }

    /// `POST /api/v2/webhooks {url, secret, events}`.
    pub async fn register_webhook(
        &self,
        body: &RegisterWebhook<'_>,
    ) -> Result<Webhook, KillbError> {
        self.send_json(reqwest::Method::POST, &["webhooks"], body)
            .await
    }

    /// `POST /api/v2/customers/pre-fund/create {currency, network}`: a new pre-fund account.
    pub async fn create_prefund(&self, body: &CreatePrefund<'_>) -> Result<Prefund, KillbError> {
        self.send_json(
            reqwest::Method::POST,
            &["customers", "pre-fund", "create"],
            body,
        )
        .await
    }

    async fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &[&str],
        body: &impl serde::Serialize,
    ) -> Result<T, KillbError> {
        let bytes = Self::body_of(body)?;
        let url = self.url(path);
        self.authed(|| {
            self.http()
                .request(method.clone(), url.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone())
        })
        .await
    }
}
