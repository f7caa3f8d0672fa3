//! `etna-auth sandbox`: the emulator of the token endpoint in the
//! foreground, for trying a client without the real service.

use std::io::Write;

use etna_auth::sandbox::{Sandbox, SandboxConfig};
use etna_auth::{Error, Status};

use crate::args::SandboxArgs;
use crate::exit::Failure;

pub fn serve(args: SandboxArgs) -> Result<(), Failure> {
    let mut config = match &args.config {
        Some(path) => {
            let json = std::fs::read_to_string(path).map_err(|e| {
                Error::new(Status::Io, format!("cannot read the config {path:?}: {e}"))
            })?;
            SandboxConfig::from_json(&json)
                .map_err(|why| Error::argument(format!("invalid sandbox config: {why}")))?
        }
        None => SandboxConfig::default(),
    };
    if let Some(port) = args.port {
        config.port = port;
    }
    let usernames: Vec<String> = config.accounts.iter().map(|a| a.username.clone()).collect();
    let sandbox = start(config)?;
    println!("ETNA_BASE_URL={}", sandbox.url());
    println!("ETNA_APP_KEY={}", sandbox.app_key());
    println!("# accounts: {}", usernames.join(", "));
    println!("# serving until interrupted (Ctrl-C)");
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}

/// Starts a sandbox; a port that cannot be bound is a file error (exit 10).
pub fn start(config: SandboxConfig) -> Result<Sandbox, Error> {
    Sandbox::start(config)
        .map_err(|e| Error::new(Status::Io, format!("cannot start the sandbox: {e}")))
}
