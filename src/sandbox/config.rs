//! The sandbox's configuration: its application key, port, accounts and
//! attempt limit ([`SandboxConfig`], [`Account`]), the JSON format that the C
//! ABI and the CLI pass, and the checks every configuration must pass.

use std::collections::HashSet;
use std::fmt;

use serde_json::Value;

use crate::defaults::{SANDBOX_ACCOUNTS, SANDBOX_APP_KEY, SANDBOX_MAX_ATTEMPTS};

/// A user the sandbox knows. `pin` and `code` are the second factors the
/// login asks for (PIN first when both are set).
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub username: String,
    pub password: String,
    /// Asked for with Step `SecutityPin` (the vendor's spelling) when set.
    pub pin: Option<String>,
    /// Asked for with Step `VerificationCode` when set, after the PIN.
    pub code: Option<String>,
}

/// Shows the user name only: secrets are never printed, not even in logs.
impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .field("code", &self.code.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What the sandbox accepts: its application key, port, accounts, and how
/// many wrong second factors a login survives.
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// The value the `Et-App-Key` header must have.
    pub app_key: String,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Wrong second factors per login; the one that reaches this number ends
    /// the login with 401 Failed.
    pub max_attempts: u32,
    pub accounts: Vec<Account>,
}

/// Hand-written so that passwords, PINs and codes never show (the accounts
/// print through [`Account`]'s redacting `Debug`).
impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("app_key", &self.app_key)
            .field("port", &self.port)
            .field("max_attempts", &self.max_attempts)
            .field("accounts", &self.accounts)
            .finish()
    }
}

impl Default for SandboxConfig {
    /// Any free port and the defaults of `crate::defaults`: the app key
    /// `sandbox-app-key`, 3 attempts, and the five documented accounts:
    /// alice (single factor), bob (PIN 1234), carol (code 123456), dave (PIN
    /// 4321 then code 654321) and jürgen (non-ASCII name and password).
    fn default() -> SandboxConfig {
        let own = |value: Option<&str>| value.map(str::to_owned);
        SandboxConfig {
            app_key: SANDBOX_APP_KEY.to_owned(),
            port: 0,
            max_attempts: SANDBOX_MAX_ATTEMPTS,
            accounts: SANDBOX_ACCOUNTS
                .iter()
                .map(|&(username, password, pin, code)| Account {
                    username: username.to_owned(),
                    password: password.to_owned(),
                    pin: own(pin),
                    code: own(code),
                })
                .collect(),
        }
    }
}

impl SandboxConfig {
    /// Parses the JSON config
    /// `{"app_key": "...", "port": 0, "max_attempts": 3, "accounts": [{"username": "...", "password": "...", "pin": "1234", "code": "123456"}]}`.
    ///
    /// Every key is optional (missing or `null` keeps the default; a given
    /// `accounts` replaces the default accounts); unknown keys are an error,
    /// also inside accounts. The app key must be non-empty, `max_attempts` at
    /// least 1, user names non-empty and unique, and no value may hold a
    /// control character. Errors are one-line messages naming the problem;
    /// they never quote a password, PIN or code.
    pub fn from_json(json: &str) -> Result<SandboxConfig, String> {
        // Walked by hand rather than through serde's derive: serde's messages
        // quote the offending value ("invalid type: integer `1234`"), which
        // could be a password. serde_json's syntax errors quote nothing.
        let value: Value =
            serde_json::from_str(json).map_err(|e| format!("the config is not valid JSON: {e}"))?;
        let Value::Object(object) = value else {
            return Err("the config must be a JSON object".to_owned());
        };
        const KEYS: &str = "app_key, port, max_attempts or accounts";
        let mut config = SandboxConfig::default();
        for (key, value) in &object {
            match key.as_str() {
                // `null` means "not given", like a missing key.
                "app_key" | "port" | "max_attempts" | "accounts" if value.is_null() => {}
                "app_key" => {
                    config.app_key = value.as_str().ok_or("app_key must be a string")?.to_owned();
                }
                "port" => {
                    config.port = value
                        .as_u64()
                        .and_then(|n| u16::try_from(n).ok())
                        .ok_or("port must be an integer from 0 to 65535")?;
                }
                "max_attempts" => {
                    config.max_attempts = value
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|&n| n >= 1)
                        .ok_or("max_attempts must be an integer of at least 1")?;
                }
                "accounts" => {
                    let list = value.as_array().ok_or("accounts must be an array")?;
                    config.accounts = list
                        .iter()
                        .enumerate()
                        .map(|(i, a)| account_from_json(i, a))
                        .collect::<Result<_, _>>()?;
                }
                _ => return Err(unknown_key("", key, KEYS)),
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// The checks of [`SandboxConfig::from_json`], also applied by
    /// [`Sandbox::start`](super::Sandbox::start) to a config built in code.
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.app_key.is_empty() {
            return Err("app_key must not be empty".to_owned());
        }
        if has_control(&self.app_key) {
            return Err("app_key must not hold control characters".to_owned());
        }
        if self.max_attempts == 0 {
            return Err("max_attempts must be at least 1".to_owned());
        }
        let mut seen = HashSet::new();
        for (i, account) in self.accounts.iter().enumerate() {
            if account.username.is_empty() {
                return Err(format!("accounts[{i}]: username must not be empty"));
            }
            if has_control(&account.username) {
                return Err(format!(
                    "accounts[{i}]: username must not hold control characters"
                ));
            }
            if !seen.insert(account.username.as_str()) {
                return Err(format!(
                    "accounts[{i}]: username {} appears more than once",
                    quote(&account.username)
                ));
            }
            let secrets = [
                ("password", Some(&account.password)),
                ("pin", account.pin.as_ref()),
                ("code", account.code.as_ref()),
            ];
            for (name, secret) in secrets {
                if secret.is_some_and(|s| has_control(s)) {
                    return Err(format!(
                        "accounts[{i}] ({}): {name} must not hold control characters",
                        quote(&account.username)
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One element of the config's `accounts` array.
fn account_from_json(i: usize, value: &Value) -> Result<Account, String> {
    let Value::Object(object) = value else {
        return Err(format!("accounts[{i}] must be a JSON object"));
    };
    let where_ = format!("accounts[{i}]");
    for key in object.keys() {
        if !["username", "password", "pin", "code"].contains(&key.as_str()) {
            return Err(unknown_key(
                &format!("{where_}: "),
                key,
                "username, password, pin or code",
            ));
        }
    }
    let required = |name: &str| -> Result<String, String> {
        match object.get(name) {
            None | Some(Value::Null) => Err(format!("{where_}: {name} is missing")),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!("{where_}: {name} must be a string")),
        }
    };
    let optional = |name: &str| -> Result<Option<String>, String> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{where_}: {name} must be a string or null")),
        }
    };
    Ok(Account {
        username: required("username")?,
        password: required("password")?,
        pin: optional("pin")?,
        code: optional("code")?,
    })
}

/// `prefix` is "" or where the key is, as `"accounts[2]: "`.
fn unknown_key(prefix: &str, key: &str, expected: &str) -> String {
    format!("{prefix}unknown key {} (expected {expected})", quote(key))
}

/// A user-given string for an error message: escaped (so the message stays
/// one line) and cut short.
fn quote(s: &str) -> String {
    let short: String = s.chars().take(60).collect();
    let cut = if short.len() < s.len() { "..." } else { "" };
    format!("{short:?}{cut}")
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config() {
        let c = SandboxConfig::default();
        assert_eq!(
            (c.app_key.as_str(), c.port, c.max_attempts),
            ("sandbox-app-key", 0, 3)
        );
        let users: Vec<&str> = c.accounts.iter().map(|a| a.username.as_str()).collect();
        assert_eq!(users, ["alice", "bob", "carol", "dave", "jürgen"]);
        let dave = &c.accounts[3];
        assert_eq!(
            (dave.pin.as_deref(), dave.code.as_deref()),
            (Some("4321"), Some("654321"))
        );
        assert_eq!(c.accounts[4].password, "pässwörd-ß");
        assert_eq!(SandboxConfig::from_json("{}"), Ok(SandboxConfig::default()));
        assert_eq!(
            SandboxConfig::from_json(r#"{"app_key": null, "accounts": null}"#),
            Ok(SandboxConfig::default())
        );
    }

    #[test]
    fn config_keys_replace_the_defaults() {
        let c = SandboxConfig::from_json(
            r#"{"app_key": "k", "port": 65535, "max_attempts": 5,
                "accounts": [{"username": "u", "password": "", "code": "9", "pin": null}]}"#,
        )
        .unwrap();
        assert_eq!(
            (c.app_key.as_str(), c.port, c.max_attempts),
            ("k", 65535, 5)
        );
        assert_eq!(
            c.accounts,
            [Account {
                username: "u".into(),
                password: String::new(),
                pin: None,
                code: Some("9".into()),
            }]
        );
        let c = SandboxConfig::from_json(r#"{"port": 8080}"#).unwrap();
        assert_eq!((c.port, c.accounts.len()), (8080, 5));
        assert!(SandboxConfig::from_json(r#"{"accounts": []}"#)
            .unwrap()
            .accounts
            .is_empty());
    }

    #[test]
    fn config_errors_name_the_problem_in_one_line() {
        let cases = [
            ("", "not valid JSON"),
            ("{", "not valid JSON"),
            ("[]", "JSON object"),
            (r#"{"colour": 1}"#, "unknown key \"colour\""),
            (
                r#"{"accounts": [{"username": "u", "password": "p", "shoe": 1}]}"#,
                "accounts[0]: unknown key \"shoe\"",
            ),
            (r#"{"app_key": ""}"#, "app_key must not be empty"),
            (r#"{"app_key": 7}"#, "app_key must be a string"),
            (
                r#"{"app_key": "a\u0007b"}"#,
                "app_key must not hold control",
            ),
            (r#"{"max_attempts": 0}"#, "max_attempts"),
            (r#"{"max_attempts": -1}"#, "max_attempts"),
            (r#"{"max_attempts": 4294967296}"#, "max_attempts"),
            (r#"{"port": 70000}"#, "port"),
            (r#"{"port": "80"}"#, "port"),
            (r#"{"accounts": {}}"#, "accounts must be an array"),
            (r#"{"accounts": [5]}"#, "accounts[0] must be a JSON object"),
            (
                r#"{"accounts": [{"password": "p"}]}"#,
                "accounts[0]: username is missing",
            ),
            (
                r#"{"accounts": [{"username": "u"}]}"#,
                "accounts[0]: password is missing",
            ),
            (
                r#"{"accounts": [{"username": "", "password": "p"}]}"#,
                "username must not be empty",
            ),
            (
                r#"{"accounts": [{"username": "a\tb", "password": "p"}]}"#,
                "username must not hold control",
            ),
            (
                r#"{"accounts": [{"username": "u", "password": "p"}, {"username": "u", "password": "q"}]}"#,
                "accounts[1]: username \"u\" appears more than once",
            ),
            (
                r#"{"accounts": [{"username": "u", "password": "a\r\nb"}]}"#,
                "password must not hold control",
            ),
            (
                r#"{"accounts": [{"username": "u", "password": "p", "pin": "1\u0000"}]}"#,
                "pin must not hold control",
            ),
            (
                r#"{"accounts": [{"username": "u", "password": "p", "code": 123456}]}"#,
                "code must be a string",
            ),
        ];
        for (json, expected) in cases {
            let error = SandboxConfig::from_json(json).expect_err(json);
            assert!(error.contains(expected), "{json}: {error}");
            assert!(
                !error.contains('\n') && !error.contains('\r'),
                "{json}: {error}"
            );
        }
    }

    #[test]
    fn secrets_stay_out_of_errors_and_debug() {
        for json in [
            r#"{"accounts": [{"username": "u", "password": "Sekr1t\n"}]}"#,
            r#"{"accounts": [{"username": "u", "password": 31337}]}"#,
            r#"{"accounts": [{"username": "u", "password": "p", "pin": 31337}]}"#,
            r#"{"accounts": [{"username": "u", "password": "p", "code": ["31337"]}]}"#,
            r#"{"accounts": [{"username": "u", "password": "Sekr1t", "x": 1}]}"#,
            r#"{"accounts": [{"username": "u", "password": "Sekr1t", "pin": "31337" "#,
        ] {
            let error = SandboxConfig::from_json(json).expect_err(json);
            assert!(
                !error.contains("Sekr1t") && !error.contains("31337"),
                "{error}"
            );
        }
        let debug = format!("{:?}", SandboxConfig::default());
        for secret in ["alice-pass", "1234", "654321", "pässwörd"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(
            debug.contains("alice") && debug.contains("<redacted>"),
            "{debug}"
        );
    }
}
