//! The Cashy simulator's options of `giro sandbox` / `giro up` (`--cashy-*`,
//! `GIRO_SANDBOX_CASHY_*`), and what they start.

use std::net::SocketAddr;

use rust_decimal::Decimal;

use super::config::{AmountStyle, CashyConfig, CashyMerchant};
use super::defaults;
use crate::dispatch::Ack;
use crate::simulator::{SimulatorArgs, SimulatorConfig};

/// Options of the Cashy simulator.
#[derive(Debug, Clone, clap::Args)]
pub struct CashyArgs {
    /// Cashy simulator address (CO and TZ merchants share it).
    #[arg(
        long,
        env = "GIRO_SANDBOX_CASHY_ADDR",
        default_value = "127.0.0.1:7102"
    )]
    pub cashy_addr: SocketAddr,
    /// Do not start the Cashy simulator.
    #[arg(long, env = "GIRO_SANDBOX_NO_CASHY")]
    pub no_cashy: bool,
    /// Cashy Colombia MerchantId.
    #[arg(long, env = "GIRO_SANDBOX_CASHY_CO_MERCHANT", default_value = defaults::CO_MERCHANT)]
    pub cashy_co_merchant: String,
    /// Cashy Colombia API key.
    #[arg(long, env = "GIRO_SANDBOX_CASHY_CO_KEY", default_value = defaults::CO_KEY)]
    pub cashy_co_key: String,
    /// What acknowledges a Colombian callback.
    #[arg(
        long,
        env = "GIRO_SANDBOX_CASHY_CO_ACK",
        value_enum,
        default_value = "success-body"
    )]
    pub cashy_co_ack: Ack,
    /// Cashy Tanzania MerchantId.
    #[arg(long, env = "GIRO_SANDBOX_CASHY_TZ_MERCHANT", default_value = defaults::TZ_MERCHANT)]
    pub cashy_tz_merchant: String,
    /// Cashy Tanzania API key.
    #[arg(long, env = "GIRO_SANDBOX_CASHY_TZ_KEY", default_value = defaults::TZ_KEY)]
    pub cashy_tz_key: String,
    /// What acknowledges a Tanzanian callback.
    #[arg(
        long,
        env = "GIRO_SANDBOX_CASHY_TZ_ACK",
        value_enum,
        default_value = "200-301-302"
    )]
    pub cashy_tz_ack: Ack,
    /// How Cashy writes amounts and fees.
    #[arg(
        long,
        env = "GIRO_SANDBOX_CASHY_AMOUNTS",
        value_enum,
        default_value = "alternate"
    )]
    pub cashy_amounts: AmountStyle,
    /// A load run: merchant balances no run exhausts.
    #[arg(skip)]
    pub for_load: bool,
}

/// A merchant's balance in a load run: the default (1,000,000,000) pays only ~6,600 of the
/// bench's COP payouts, after which the rest are refused (`Balance_not_enough`).
const LOAD_BALANCE: i64 = 1_000_000_000_000_000;

impl SimulatorArgs for CashyArgs {
    fn name(&self) -> &'static str {
        super::NAME
    }

    fn clone_box(&self) -> Box<dyn SimulatorArgs> {
        Box::new(self.clone())
    }

    fn config(&self) -> Option<Box<dyn SimulatorConfig>> {
        let merchant = |merchant: CashyMerchant, ack: Ack| CashyMerchant {
            ack,
            balance: if self.for_load {
                Decimal::from(LOAD_BALANCE)
            } else {
                merchant.balance
            },
            ..merchant
        };
        let config = CashyConfig {
            bind: self.cashy_addr,
            amount_style: self.cashy_amounts,
            ..CashyConfig::new(vec![
                merchant(
                    CashyMerchant::colombia(&self.cashy_co_merchant, &self.cashy_co_key),
                    self.cashy_co_ack,
                ),
                merchant(
                    CashyMerchant::tanzania(&self.cashy_tz_merchant, &self.cashy_tz_key),
                    self.cashy_tz_ack,
                ),
            ])
        };
        (!self.no_cashy).then(|| Box::new(config) as Box<dyn SimulatorConfig>)
    }

    /// Cashy is told where to call back with each payout (`notifyUrl`).
    fn call_back_to(&mut self, _public: &str) {}

    fn engine_settings(&self, url: String) -> Vec<(&'static str, String)> {
        super::engine::engine_settings(self, url)
    }

    fn for_load(&mut self) {
        self.for_load = true;
    }

    fn more_scenarios() -> &'static [(u8, &'static str)] {
        &[(21, "SUCCESS, 1 % less paid (whole units)")]
    }
}
