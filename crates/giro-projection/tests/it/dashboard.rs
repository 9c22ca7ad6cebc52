//! The dashboard, rendered in headless Chromium: the figures of a small run appear in the DOM, and
//! text from events is escaped, never markup.

use std::path::Path;
use std::time::Duration;

use giro_domain::payout::{PayoutCommand, PayoutDecider, ReportedOutcome};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;

use crate::common::*;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM Chromium builds from `url`, after scripts (there are none) and layout.
async fn dump_dom(url: &str) -> String {
    assert!(
        Path::new(CHROMIUM).exists(),
        "the dashboard test needs headless Chromium at {CHROMIUM}: install Debian's package with \
         `apt-get update && apt-get install -y chromium` (ops/dev test should do this)"
    );
    let profile = std::env::temp_dir().join(format!("giro-chromium-{}", uuid::Uuid::new_v4()));
    let run = tokio::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", url])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), run).await;
    let _ = std::fs::remove_dir_all(&profile);
    let output = output
        .unwrap_or_else(|_| panic!("chromium did not render {url} within 90s"))
        .unwrap_or_else(|e| panic!("running {CHROMIUM}: {e}"));
    let dom = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        dom.contains("</html>"),
        "chromium rendered nothing for {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dom
}

/// The text inside the element with `id`.
fn text_of<'a>(dom: &'a str, id: &str) -> &'a str {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id} in the DOM:\n{dom}"));
    let start = at + dom[at..].find('>').unwrap() + 1;
    let end = start + dom[start..].find('<').unwrap();
    &dom[start..end]
}

#[tokio::test]
async fn the_dashboard_and_an_order_page_show_the_run_in_a_browser() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let mut config = config(&log, &schema);
    config.stuck.requested = Duration::ZERO;
    config.dashboard_refresh = Duration::from_secs(7);
    let handle = giro_projection::start(config, log.client.clone())
        .await
        .unwrap();
    let paid = [
        PayoutCommand::StartSubmission,
        report("ok", "SUCCESS", ReportedOutcome::Succeeded, None),
    ];
    payout(&log, "dash-paid-1", &paid).await;
    payout(&log, "dash-paid-2", &paid).await;
    let evil = "<img src=x onerror=alert(1)>";
    let mut reversal = paid.to_vec();
    reversal.push(report("back", "FAIL", ReportedOutcome::Failed, Some(evil)));
    let reversed = payout(&log, "dash-reversed", &reversal).await;
    payout(&log, "dash-waiting", &[]).await;
    let (marked, create) = create_payout(&payout_body("dash-markup", "<b>bold</b>"));
    log.log
        .execute::<PayoutDecider>(marked, &create, &meta(), true)
        .await
        .unwrap();
    caught_up(&log, &schema).await;

    let base = format!("http://{}", handle.local_addr());
    let dom = dump_dom(&format!("{base}/")).await;
    assert_eq!(text_of(&dom, "status-succeeded-count"), "2");
    assert_eq!(text_of(&dom, "status-reversed-count"), "1");
    assert_eq!(text_of(&dom, "status-requested-count"), "2");
    assert_eq!(text_of(&dom, "total-count"), "5");
    assert_eq!(text_of(&dom, "stuck-count"), "2");
    assert_eq!(text_of(&dom, "reversal-count"), "1");
    assert_eq!(text_of(&dom, "lag"), "0");
    // The page an operator keeps open reloads itself, as often as configured, and says so.
    assert!(
        dom.contains("<meta http-equiv=\"refresh\" content=\"7\">"),
        "no auto-refresh: {dom}"
    );
    assert!(dom.contains("reloads every 7s"), "{dom}");
    assert!(dom.contains("id=\"provider-cashy-co\""), "{dom}");
    assert!(dom.contains("66.7%"), "success rate 2 of 3 missing: {dom}");
    assert!(dom.contains(&format!("href=\"/payouts/{reversed}\"")));
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;"), "{dom}");
    assert!(dom.contains("&lt;b&gt;bold&lt;/b&gt;"), "{dom}");
    assert!(
        !dom.contains("<img") && !dom.contains("<b>"),
        "markup from events rendered: {dom}"
    );

    let page = dump_dom(&format!("{base}/payouts/{reversed}")).await;
    // The order page offers the actions its status allows and does not reload under an
    // operator typing into one: a reversed payout takes a note.
    assert!(
        !page.contains("http-equiv=\"refresh\"") && page.contains("id=\"action-note\""),
        "the order page reloads, or offers no note: {page}"
    );
    assert!(!page.contains("id=\"action-retry\""), "{page}");
    assert_eq!(text_of(&page, "status"), "reversed");
    assert_eq!(text_of(&page, "order-id"), reversed.to_string());
    let events = log
        .log
        .load::<PayoutDecider>(reversed)
        .await
        .unwrap()
        .events;
    assert_eq!(text_of(&page, "event-count"), events.len().to_string());
    for t in ["payout.requested", "payout.succeeded", "payout.reversed"] {
        assert!(
            page.contains(&format!("<td class=\"event-type\">{t}</td>")),
            "{t}: {page}"
        );
    }
    assert!(!page.contains("<img"), "{page}");
    handle.stop().await;
}
