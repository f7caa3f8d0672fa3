//! Where the default store is: a token file at a per-user place, unless
//! `ETNA_AUTH_STORE` names another store.
//!
//! | system | default token file |
//! | --- | --- |
//! | Linux, BSD | `$XDG_CONFIG_HOME/etna-auth/tokens.json`, else `~/.config/etna-auth/tokens.json` |
//! | Windows | `%LOCALAPPDATA%\etna-auth\tokens.json` |
//! | macOS | `~/Library/Application Support/etna-auth/tokens.json` |

use std::ffi::OsString;
use std::path::PathBuf;

use crate::error::{Error, Status};

/// The environment variable that replaces the default store: a store spec,
/// as the `store` argument takes (`keyring`, or a token file's path).
pub const STORE_ENV: &str = "ETNA_AUTH_STORE";

/// The folder's name inside the per-user configuration folder.
const APP_FOLDER: &str = "etna-auth";
/// The default token file's name in that folder.
const TOKEN_FILE: &str = "tokens.json";

/// The per-user folder of etna-auth (`~/.config/etna-auth` on Linux): the
/// default token file's folder, and where the keyring store keeps its lock
/// files.
pub fn default_folder() -> Result<PathBuf, Error> {
    folder_from(|name| std::env::var_os(name))
}

/// The default token file (ignoring `ETNA_AUTH_STORE`).
pub fn default_token_file() -> Result<PathBuf, Error> {
    Ok(default_folder()?.join(TOKEN_FILE))
}

/// `ETNA_AUTH_STORE`, when it is set and not empty.
pub fn store_from_env() -> Option<String> {
    std::env::var(STORE_ENV).ok().filter(|v| !v.is_empty())
}

/// An absolute path from the environment; relative ones are ignored, as
/// the XDG specification says.
fn absolute(value: Option<OsString>) -> Option<PathBuf> {
    value
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && !p.as_os_str().is_empty())
}

fn no_place(what: &str) -> Error {
    Error::new(
        Status::Io,
        format!(
            "there is no default store: {what}; give the store (a token file's path, or \"keyring\") or set {STORE_ENV}"
        ),
    )
}

#[cfg(all(unix, not(target_os = "macos")))]
fn folder_from(env: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, Error> {
    if let Some(config) = absolute(env("XDG_CONFIG_HOME")) {
        return Ok(config.join(APP_FOLDER));
    }
    let home = absolute(env("HOME")).ok_or_else(|| no_place("HOME is not set"))?;
    Ok(home.join(".config").join(APP_FOLDER))
}

#[cfg(target_os = "macos")]
fn folder_from(env: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, Error> {
    let home = absolute(env("HOME")).ok_or_else(|| no_place("HOME is not set"))?;
    Ok(home
        .join("Library")
        .join("Application Support")
        .join(APP_FOLDER))
}

/// The local application data folder, not the roaming one (`APPDATA`):
/// tokens belong to this machine and must not travel with a roaming
/// profile to other machines.
#[cfg(windows)]
fn folder_from(env: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, Error> {
    let local = absolute(env("LOCALAPPDATA")).ok_or_else(|| no_place("LOCALAPPDATA is not set"))?;
    Ok(local.join(APP_FOLDER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn xdg_config_home_then_home() {
        let both = [("XDG_CONFIG_HOME", "/x/conf"), ("HOME", "/home/u")];
        assert_eq!(
            folder_from(env(&both)).unwrap(),
            PathBuf::from("/x/conf/etna-auth")
        );
        let relative = [("XDG_CONFIG_HOME", "conf"), ("HOME", "/home/u")];
        assert_eq!(
            folder_from(env(&relative)).unwrap(),
            PathBuf::from("/home/u/.config/etna-auth")
        );
        let error = folder_from(env(&[])).unwrap_err();
        assert_eq!(error.status(), Status::Io);
        assert!(error.message().contains("ETNA_AUTH_STORE"), "{error}");
    }

    #[cfg(target_os = "macos")]
    #[test]
    fn application_support_under_home() {
        assert_eq!(
            folder_from(env(&[("HOME", "/Users/u")])).unwrap(),
            PathBuf::from("/Users/u/Library/Application Support/etna-auth")
        );
        let error = folder_from(env(&[("HOME", "relative")])).unwrap_err();
        assert!(error.message().contains("HOME"), "{error}");
    }

    #[cfg(windows)]
    #[test]
    fn local_app_data_never_the_roaming_one() {
        let pairs = [
            ("APPDATA", r"C:\Users\u\AppData\Roaming"),
            ("LOCALAPPDATA", r"C:\Users\u\AppData\Local"),
        ];
        assert_eq!(
            folder_from(env(&pairs)).unwrap(),
            PathBuf::from(r"C:\Users\u\AppData\Local\etna-auth")
        );
        let roaming_only = [("APPDATA", r"C:\Users\u\AppData\Roaming")];
        let error = folder_from(env(&roaming_only)).unwrap_err();
        assert!(error.message().contains("LOCALAPPDATA"), "{error}");
    }
}
