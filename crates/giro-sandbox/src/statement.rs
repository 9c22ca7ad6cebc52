//! Statement export, as providers offer it for reconciliation: one CSV line per payout or charge
//! whose latest status change happened on a given UTC date. Each simulator says what its books
//! hold through [`StatementSource`]; this module only keeps the running sources and writes the
//! one CSV format.

use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, NaiveDate, Utc};

/// The statement's first line, exactly.
pub const STATEMENT_HEADER: &str =
    "date,provider,reference,provider_ref,status,amount,currency,fee,completed_at,channel_ref";

/// One payout or charge on a statement, in the provider's own words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLine {
    /// When its latest status change happened (by the sandbox's clock): the statement's date and order.
    pub at: DateTime<Utc>,
    /// The provider instance as the engine names it (`killb`, `cashy-co`, …).
    pub provider: String,
    /// The merchant's own reference, as Giro sent it.
    pub reference: String,
    /// The provider's id of the payout or charge.
    pub provider_ref: String,
    /// The provider's raw status word.
    pub status: String,
    /// The amount actually moved, as the provider writes it.
    pub amount: String,
    /// ISO 4217 code (or the token's symbol).
    pub currency: String,
    /// The fee charged, if any.
    pub fee: Option<String>,
    /// The provider's completion time text, else the latest change in RFC 3339.
    pub completed_at: String,
    /// The payment network's reference, if the provider reports one.
    pub channel_ref: Option<String>,
}

/// A running simulator that exports statements.
pub(crate) trait StatementSource: Send + Sync {
    /// The provider instances it holds payouts or charges for (`cashy-co`, `cashy-tz`, …).
    fn instances(&self) -> Vec<&'static str>;
    /// Its orders whose latest status change happened on `date` (UTC) and that are not in flight.
    fn statement(&self, date: NaiveDate) -> Vec<StatementLine>;
}

/// The running simulators' statement sources, by simulator name.
#[derive(Default)]
pub(crate) struct Statements(RwLock<Vec<(&'static str, Arc<dyn StatementSource>)>>);

impl Statements {
    /// Adds the running simulator `name`.
    pub(crate) fn register(&self, name: &'static str, source: Arc<dyn StatementSource>) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push((name, source));
    }

    /// The statement of the simulator `name`, or of the one instance `name` names, for `date`,
    /// ordered by time; `None` when no running simulator answers to `name`.
    pub(crate) fn statement(&self, name: &str, date: NaiveDate) -> Option<Vec<StatementLine>> {
        let sources = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let mut lines = if let Some((_, source)) = sources.iter().find(|(n, _)| *n == name) {
            source.statement(date)
        } else {
            let (_, source) = sources
                .iter()
                .find(|(_, source)| source.instances().contains(&name))?;
            let mut lines = source.statement(date);
            lines.retain(|line| line.provider == name);
            lines
        };
        lines.sort_by_key(|line| line.at);
        Some(lines)
    }
}

/// `lines` as the CSV document of `date`: the header, then one line each.
pub(crate) fn render(date: NaiveDate, lines: &[StatementLine]) -> String {
    let mut out = format!("{STATEMENT_HEADER}\n");
    let date = date.format("%Y-%m-%d").to_string();
    for line in lines {
        let fields = [
            date.as_str(),
            &line.provider,
            &line.reference,
            &line.provider_ref,
            &line.status,
            &line.amount,
            &line.currency,
            line.fee.as_deref().unwrap_or_default(),
            &line.completed_at,
            line.channel_ref.as_deref().unwrap_or_default(),
        ];
        let fields: Vec<String> = fields.iter().map(|f| field(f)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// A CSV field: quoted (with quotes doubled) when it holds a comma, a quote or a line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_or_newlines_are_quoted() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn render_writes_the_header_then_one_line_per_payout() {
        let date = NaiveDate::from_ymd_opt(2030, 5, 17).unwrap_or_default();
        assert_eq!(render(date, &[]), format!("{STATEMENT_HEADER}\n"));
        let line = StatementLine {
            at: Utc::now(),
            provider: "p".into(),
            reference: "ref,1".into(),
            provider_ref: "X1".into(),
            status: "DONE".into(),
            amount: "10.00".into(),
            currency: "COP".into(),
            fee: None,
            completed_at: "2030-05-17 10:00:00".into(),
            channel_ref: None,
        };
        assert_eq!(
            render(date, &[line]),
            format!(
                "{STATEMENT_HEADER}\n2030-05-17,p,\"ref,1\",X1,DONE,10.00,COP,,2030-05-17 10:00:00,\n"
            )
        );
    }
}
