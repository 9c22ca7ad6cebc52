//! What the engine needs to talk to this simulator when it runs in-process: its address and the
//! merchants it was started with, under the `GIRO_CASHY_*` names the Cashy adapter reads.

use super::args::CashyArgs;

/// The engine settings pointing the Cashy adapter at the simulator on `url`.
pub(crate) fn engine_settings(args: &CashyArgs, url: String) -> Vec<(&'static str, String)> {
    vec![
        ("GIRO_CASHY_URL", url),
        ("GIRO_CASHY_CO_MERCHANT", args.cashy_co_merchant.clone()),
        ("GIRO_CASHY_CO_KEY", args.cashy_co_key.clone()),
        ("GIRO_CASHY_TZ_MERCHANT", args.cashy_tz_merchant.clone()),
        ("GIRO_CASHY_TZ_KEY", args.cashy_tz_key.clone()),
    ]
}
