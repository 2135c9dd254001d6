//! `dfx-sandbox-certs DIR`: write a fresh throwaway test PKI into DIR, for
//! an https sandbox (`dfx-sandbox --tls-cert DIR/localhost.pem --tls-key
//! DIR/localhost.key`) and client TLS tests. See `TestPki::write_to` for
//! the files.

use std::process::ExitCode;

const USAGE: &str = "\
Usage: dfx-sandbox-certs DIR

Writes a new throwaway test CA and server certificates into DIR (created if
missing), for client TLS tests against `dfx-sandbox --tls-cert/--tls-key`:
  ca.pem                            the test CA (add it to the client's trust)
  localhost.pem, localhost.key      `localhost`, signed by the CA
  expired.pem, expired.key          `localhost`, signed by the CA, expired in 2000
  self-signed.pem, self-signed.key  `localhost`, self-signed
  other-ca.pem, other-ca.key        `localhost`, signed by a CA nobody trusts
Test use only: the keys are not protected.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir] = args.as_slice() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    if dir == "-h" || dir == "--help" {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match dfx_sandbox::TestPki::generate().and_then(|pki| pki.write_to(dir.as_ref())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dfx-sandbox-certs: {e}");
            ExitCode::FAILURE
        }
    }
}
