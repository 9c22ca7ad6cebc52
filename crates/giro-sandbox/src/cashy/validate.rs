//! Cashy's field rules for `payOut`, per country (seed 001 for CO, seed 004 for TZ).

use rust_decimal::Decimal;

use super::banks::{is_co_bank, tz_operator};
use super::config::Country;
use super::envelope::CashyError;
use crate::json::RawObject;

/// A `payOut` body that passed every rule.
#[derive(Debug, Clone)]
pub(crate) struct PayOut {
    pub amount: Decimal,
    pub mch_order_no: String,
    pub notify_url: String,
}

const CO_ID_TYPES: [&str; 5] = ["CC", "CE", "TI", "NIT", "PA"];

/// A string field (numbers are accepted as their text, as the gateway's Java side does) of at most
/// `max` characters.
fn text(
    obj: &RawObject,
    field: &str,
    required: bool,
    max: usize,
) -> Result<Option<String>, CashyError> {
    let value = obj
        .text(field)
        .map_err(|_| CashyError::invalid(field))?
        .filter(|v| !v.trim().is_empty());
    match value {
        None if required => Err(CashyError::required(field)),
        Some(v) if v.chars().count() > max => Err(CashyError::invalid(field)),
        other => Ok(other),
    }
}

fn required(obj: &RawObject, field: &str, max: usize) -> Result<String, CashyError> {
    text(obj, field, true, max)?.ok_or_else(|| CashyError::required(field))
}

fn integer(obj: &RawObject, field: &str) -> Result<Option<i64>, CashyError> {
    obj.integer(field).map_err(|_| CashyError::invalid(field))
}

fn check(ok: bool, field: &str) -> Result<(), CashyError> {
    if ok {
        Ok(())
    } else {
        Err(CashyError::invalid(field))
    }
}

fn digits(value: &str) -> bool {
    !value.is_empty() && value.chars().all(|c| c.is_ascii_digit())
}

/// Checks a `payOut` body for `country`: every field of the seed's table with its type, length
/// and required flag, and `notifyUrl` an http(s) URL whose host is a name, never an IP address
/// (seed 001: "If the address is an ip address, be sure to use a public domain name").
pub(crate) fn pay_out(obj: &RawObject, country: Country) -> Result<PayOut, CashyError> {
    let name_max = if country == Country::Co { 32 } else { 64 };
    required(obj, "accountName", name_max)?;
    let account_no = required(obj, "accountNo", 32)?;
    let account_type =
        integer(obj, "accountType")?.ok_or_else(|| CashyError::required("accountType"))?;
    let currency = required(obj, "currency", 32)?;
    let amount = obj
        .decimal("amount")
        .map_err(|_| CashyError::invalid("amount"))?
        .ok_or_else(|| CashyError::required("amount"))?;
    let scale = amount.normalize().scale();
    match country {
        Country::Co => {
            check(digits(&account_no), "accountNo")?;
            check(matches!(account_type, 0 | 1), "accountType")?;
            check(currency == "COP", "currency")?;
            let range = Decimal::new(10_000, 0)..=Decimal::new(5_000_000, 0);
            check(scale <= 2 && range.contains(&amount), "amount")?;
            let bank = integer(obj, "bankId")?.ok_or_else(|| CashyError::required("bankId"))?;
            check(is_co_bank(bank), "bankId")?;
        }
        Country::Tz => {
            check(
                digits(&account_no) && (9..=12).contains(&account_no.len()),
                "accountNo",
            )?;
            check((0..=3).contains(&account_type), "accountType")?;
            check(currency == "TZS", "currency")?;
            let range = Decimal::new(500, 0)..=Decimal::new(3_000_000, 0);
            check(scale == 0 && range.contains(&amount), "amount")?;
            // Seed 004's table has no bankId but its own example sends one: optional, and when
            // given it must be the listed operator of the accountType.
            if let Some(bank) = integer(obj, "bankId")? {
                check(tz_operator(bank) == Some(account_type), "bankId")?;
            }
        }
    }
    let mch_order_no = required(obj, "mchOrderNo", 32)?;
    let notify_url = required(obj, "notifyUrl", 250)?;
    check(notify_url_ok(&notify_url), "notifyUrl")?;
    required(obj, "nonceStr", 32)?;
    let co = country == Country::Co;
    if let Some(id_type) = text(obj, "idType", co, 32)?
        && co
    {
        let by_number = id_type.parse::<u8>().is_ok_and(|n| (1..=5).contains(&n));
        check(
            by_number || CO_ID_TYPES.contains(&id_type.as_str()),
            "idType",
        )?;
    }
    text(obj, "idCard", co, 32)?;
    text(obj, "phone", false, 32)?;
    if let Some(email) = text(obj, "email", false, if co { 32 } else { 64 })? {
        check(email.contains('@'), "email")?;
    }
    let remark = required(obj, "remark", 32)?;
    check(
        remark
            .chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control()),
        "remark",
    )?;
    Ok(PayOut {
        amount,
        mch_order_no,
        notify_url,
    })
}

/// An http(s) URL on a host name: an IP address (v4 or v6) or the bare name `localhost` (the
/// loopback address under another spelling) is refused, as Cashy does.
fn notify_url_ok(raw: &str) -> bool {
    let Ok(url) = url::Url::parse(raw) else {
        return false;
    };
    if !matches!(url.scheme(), "http" | "https") {
        return false;
    }
    match url.host() {
        Some(url::Host::Domain(domain)) => {
            let domain = domain.trim_end_matches('.');
            !domain.is_empty() && !domain.eq_ignore_ascii_case("localhost")
        }
        None | Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_url_is_http_on_a_name() {
        for good in [
            "https://merchant.example.com/cb",
            "http://giro.localhost:8081/webhooks/cashy",
            "http://ingress:8081/webhooks/cashy",
        ] {
            assert!(notify_url_ok(good), "{good}");
        }
        for bad in [
            "http://127.0.0.1:8080/cb",
            "http://[::1]:8080/cb",
            "http://10.0.0.7/cb",
            "http://localhost/cb",
            "ftp://merchant.example.com/cb",
            "merchant.example.com/cb",
        ] {
            assert!(!notify_url_ok(bad), "{bad}");
        }
    }
}
