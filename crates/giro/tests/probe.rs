//! `giro probe URL`, the container health check: exit 0 on a 2xx answer, 1 on any other answer
//! or none, saying why.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};

const GIRO: &str = env!("CARGO_BIN_EXE_giro");

/// A server on a free port answering every request with `status`, in a thread of its own.
fn answering(status: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
    });
    format!("http://{addr}/readyz")
}

fn probe(url: &str) -> (bool, String) {
    let out = Command::new(GIRO)
        .args(["probe", "--timeout", "2s", url])
        .stdin(Stdio::null())
        .output()
        .expect("giro runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_2xx_answer_is_healthy_anything_else_is_not() {
    assert_eq!(probe(&answering("200 OK")), (true, String::new()));
    let (ok, said) = probe(&answering("503 Service Unavailable"));
    assert!(!ok && said.contains("503"), "{said}");
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (ok, said) = probe(&format!("http://{closed}/readyz"));
    assert!(!ok && said.contains("giro probe"), "{said}");
}
