//! Totals over a run: the numbers a chaos test checks in one call.

use std::collections::BTreeMap;

use super::records::{CallbackOutcome, HandleRecord, OrderRecord, ProviderSummary, Summary};

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(super) fn summarise(handles: &[HandleRecord], orders: &[OrderRecord]) -> Summary {
    let mut providers: BTreeMap<String, ProviderSummary> = BTreeMap::new();
    for handle in handles {
        let p = providers.entry(handle.provider.clone()).or_default();
        p.handles += 1;
        p.submissions += handle.submissions;
        p.refused += handle.refused;
        p.replays += handle.replays;
    }
    let mut external_ids: BTreeMap<(String, String), u32> = BTreeMap::new();
    for order in orders {
        let p = providers.entry(order.provider.clone()).or_default();
        p.orders += 1;
        *p.by_status.entry(order.status.clone()).or_default() += 1;
        p.truncations += u32::from(order.truncated.is_some());
        for attempt in &order.callbacks {
            let outcome = match attempt.outcome {
                CallbackOutcome::Acknowledged => "acknowledged",
                CallbackOutcome::Failed => "failed",
                CallbackOutcome::Abandoned => "abandoned",
                CallbackOutcome::Dropped => "dropped",
            };
            *p.callbacks.entry(outcome.to_owned()).or_default() += 1;
        }
        if let Some(external_id) = &order.external_id {
            *external_ids
                .entry((order.provider.clone(), external_id.clone()))
                .or_default() += 1;
        }
    }
    let twice: Vec<HandleRecord> = handles
        .iter()
        .filter(|h| h.orders.len() > 1)
        .cloned()
        .collect();
    let never: Vec<HandleRecord> = handles
        .iter()
        .filter(|h| h.orders.is_empty())
        .cloned()
        .collect();
    let external_twice: Vec<String> = external_ids
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|((provider, id), _)| format!("{provider}:{id}"))
        .collect();
    let at_most_once = twice.is_empty() && external_twice.is_empty();
    Summary {
        handles: count(handles.len()),
        submissions: handles.iter().map(|h| h.submissions).sum(),
        orders: count(orders.len()),
        at_most_once,
        exactly_once: at_most_once && never.is_empty(),
        handles_created_more_than_once: twice,
        handles_never_created: never,
        external_ids_created_more_than_once: external_twice,
        providers,
    }
}
