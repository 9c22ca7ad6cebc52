//! `giro-proto write` regenerates `proto/` from the Rust types; `giro-proto check` fails when the
//! checked-in files differ from them.

use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = giro_proto::proto_dir();
    match std::env::args().nth(1).as_deref() {
        Some("write") => match giro_proto::write(&dir) {
            Ok(changed) if changed.is_empty() => {
                println!("proto/ is up to date");
                ExitCode::SUCCESS
            }
            Ok(changed) => {
                changed.iter().for_each(|c| println!("{c}"));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Some("check") => {
            let problems = giro_proto::check(&dir);
            if problems.is_empty() {
                println!("proto/ matches the code");
                ExitCode::SUCCESS
            } else {
                problems.iter().for_each(|p| eprintln!("{p}"));
                eprintln!("regenerate with `{}`", giro_proto::REGENERATE);
                ExitCode::FAILURE
            }
        }
        _ => {
            eprintln!("usage: giro-proto write | check");
            ExitCode::from(2)
        }
    }
}
