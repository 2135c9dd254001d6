//! `dfx-sandbox` command: run the sandbox until SIGINT/SIGTERM.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use dfx_sandbox::{Config, Sandbox};

const USAGE: &str = "\
Usage: dfx-sandbox [--host IP] [--port N] [--org IDENTIFIER]... [--port-file PATH]
                   [--tls-cert PEM --tls-key PEM]

A loopback stand-in for the NuraLogix DeepAffex Cloud API.

Options:
  --host IP           address to listen on (default 127.0.0.1)
  --port N            port to listen on; 0 picks a free one (default 0)
  --org IDENTIFIER    an organization identifier the API knows; repeatable
                      (default: dfxdemo). dfxdemo, home of the seed licence
                      and user, is always there too
  --port-file PATH    write the port number to PATH once listening
                      (atomically, via a temporary file and rename);
                      the file is removed again on a clean shutdown
  --tls-cert PATH     serve https, presenting this PEM certificate chain
                      (server certificate first); needs --tls-key
  --tls-key PATH      the PEM private key of --tls-cert
                      (`dfx-sandbox-certs DIR` writes throwaway test ones)
  -h, --help          print this help

On start it prints one line, `dfx-sandbox listening on http://HOST:PORT`
(https:// with --tls-cert),
then logs one line per API request to stderr. SIGINT or SIGTERM stop it
(exit status 0). The control plane is under /_sandbox/ (see README.md);
GET /_sandbox/seed shows the seed licence key and user.
";

struct Args {
    config: Config,
    port_file: Option<PathBuf>,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut config = Config::default();
    let mut orgs = Vec::new();
    let mut port_file = None;
    let (mut tls_cert, mut tls_key) = (None, None);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--host" => {
                let v = value("--host")?;
                config.host = v.parse::<IpAddr>().map_err(|_| format!("--host: not an IP address: {v}"))?;
            }
            "--port" => {
                let v = value("--port")?;
                config.port = v.parse::<u16>().map_err(|_| format!("--port: not a port number: {v}"))?;
            }
            "--org" => {
                let v = value("--org")?;
                if v.is_empty() {
                    return Err("--org: the identifier is empty".to_owned());
                }
                orgs.push(v);
            }
            "--port-file" => port_file = Some(PathBuf::from(value("--port-file")?)),
            "--tls-cert" => tls_cert = Some(PathBuf::from(value("--tls-cert")?)),
            "--tls-key" => tls_key = Some(PathBuf::from(value("--tls-key")?)),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    if !orgs.is_empty() {
        config.orgs = orgs;
    }
    config.tls = match (tls_cert, tls_key) {
        (None, None) => None,
        (Some(cert), Some(key)) => {
            Some(dfx_sandbox::TlsIdentity::from_files(&cert, &key).map_err(|e| format!("--tls-cert/--tls-key: {e}"))?)
        }
        _ => return Err("--tls-cert and --tls-key go together".to_owned()),
    };
    Ok(Some(Args { config, port_file }))
}

fn write_port_file(path: &PathBuf, port: u16) -> std::io::Result<()> {
    let mut tmp = path.clone().into_os_string();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, format!("{port}\n"))?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("dfx-sandbox: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    // Signal handlers go in before the "listening" line, so a script that
    // reads the line and then signals never hits the default action.
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dfx-sandbox: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let signals = match rt.block_on(async { Signals::new() }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dfx-sandbox: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };

    let sandbox = match Sandbox::start_with_log(args.config, true) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dfx-sandbox: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "dfx-sandbox listening on {}", sandbox.url());
        let _ = out.flush();
    }
    if let Some(path) = &args.port_file {
        if let Err(e) = write_port_file(path, sandbox.addr().port()) {
            eprintln!("dfx-sandbox: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }

    rt.block_on(signals.wait());
    drop(sandbox);
    if let Some(path) = &args.port_file {
        let _ = std::fs::remove_file(path);
    }
    ExitCode::SUCCESS
}

#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals { int: signal(SignalKind::interrupt())?, term: signal(SignalKind::terminate())? })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
