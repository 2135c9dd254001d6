//! The `dfx-sandbox` command.

#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn prints_listening_line_writes_port_file_and_exits_0_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("dfx-sandbox-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port_file = dir.join("port");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dfx-sandbox"))
        .args(["--port", "0", "--org", "acme", "--port-file"])
        .arg(&port_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("dfx-sandbox listening on ").expect(&line).to_owned();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(url, format!("http://127.0.0.1:{port}"));

    let deadline = Instant::now() + Duration::from_secs(5);
    while !port_file.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(std::fs::read_to_string(&port_file).unwrap().trim(), port.to_string());

    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let (token, refresh) = {
        let b = common::send(addr, "POST", "/_sandbox/pairs", &[], b"").complete().json();
        (b["Token"].as_str().unwrap().to_owned(), b["RefreshToken"].as_str().unwrap().to_owned())
    };
    assert_eq!(common::renew(addr, &token, &refresh).complete().status, 200);
    let body = br#"{"PhoneNumber":"1","Identifier":"acme"}"#;
    assert_eq!(common::send(addr, "PATCH", "/auths/users/code", &[], body).complete().status, 200);
    // The seed organization is there next to --org acme.
    let seed = common::send(addr, "GET", "/_sandbox/seed", &[], b"").complete().json();
    assert_eq!(seed["Organization"], "dfxdemo");
    let reg = serde_json::json!({"Key": seed["LicenseKey"], "DeviceTypeID": "LINUX", "Name": "n",
                                 "Identifier": seed["Organization"], "Version": "1"});
    let device = common::post_json(addr, "/organizations/licenses", &reg).complete().json();
    let device_token = device["Token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {device_token}");
    assert_eq!(common::send(addr, "GET", "/auth", &[("Authorization", &bearer)], b"").complete().status, 200);
    let login = serde_json::json!({"Email": seed["Email"], "Password": seed["Password"]}).to_string();
    let resp = common::send(addr, "POST", "/users/auth", &[("Authorization", &bearer)], login.as_bytes()).complete();
    assert_eq!(resp.status, 200);

    let st = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("POST /auths/renew -> 200"), "{stderr}");
    assert!(stderr.contains("PATCH /auths/users/code -> 200"), "{stderr}");
    assert!(stderr.contains("POST /organizations/licenses -> 200"), "{stderr}");
    assert!(stderr.contains("GET /auth -> 200"), "{stderr}");
    for secret in [&token, &refresh, &device_token, "sandbox-password", "DFX-SANDBOX-LICENSE"] {
        assert!(!stderr.contains(secret), "no secrets in the log");
    }
    assert!(!port_file.exists(), "port file removed on shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_and_bad_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_dfx-sandbox")).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--port-file"));
    let out = Command::new(env!("CARGO_BIN_EXE_dfx-sandbox")).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_dfx-sandbox")).args(["--host", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
