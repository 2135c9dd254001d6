//! Shared set-up for the Rust integration tests: a sandbox per test, on an
//! ephemeral loopback port, so tests run in parallel without sharing state.
#![allow(dead_code)]

use std::net::TcpListener;

pub use dfx_sandbox::{Action, Config, Fault, Phase, Sandbox, TokenKind};

pub fn sandbox() -> Sandbox {
    Sandbox::start(Config::default()).expect("the sandbox starts")
}

pub fn client(sandbox: &Sandbox) -> dfx::Client {
    dfx::Client::new(Some(&sandbox.url())).expect("client for the sandbox")
}

pub fn pair(sandbox: &Sandbox) -> (String, String) {
    sandbox.create_pair(TokenKind::Device, 3600)
}

/// A loopback port nobody listens on.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

pub fn fault(path: &str, action: Action) -> Fault {
    Fault {
        path: path.into(),
        action,
        ..Fault::default()
    }
}

pub fn status_fault(path: &str, status: u16, body: &str, content_type: Option<&str>) -> Fault {
    Fault {
        path: path.into(),
        action: Action::Status,
        status,
        body: body.into(),
        content_type: content_type.map(Into::into),
        ..Fault::default()
    }
}
