//! The second factors a sandbox login asks for, and how each is named on
//! the wire: its `Step`, its request header, its `Reason`s. Used by the
//! protocol (decide.rs) and filed with the open logins (tickets.rs).

use super::config::Account;

/// The second factors, in the order a login asks for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Factor {
    Pin,
    Code,
}

impl Factor {
    /// The `Step` name in answers.
    pub(super) fn step(self) -> &'static str {
        match self {
            Factor::Pin => "SecutityPin", // sic: the vendor's spelling
            Factor::Code => "VerificationCode",
        }
    }

    /// The request header that carries this factor.
    pub(super) fn header(self) -> &'static str {
        match self {
            Factor::Pin => "PinCode",
            Factor::Code => "VerificationCode",
        }
    }

    /// `Reason` when the factor is first asked for.
    pub(super) fn expecting(self) -> &'static str {
        match self {
            Factor::Pin => "Expecting security pin",
            Factor::Code => "Expecting confirmation code",
        }
    }

    /// `Reason` after a wrong answer (202 again, or the final 401).
    pub(super) fn invalid(self) -> &'static str {
        match self {
            Factor::Pin => "Invalid pin",
            Factor::Code => "Invalid verification code",
        }
    }

    /// The account's expected value for this factor.
    pub(super) fn expected(self, account: &Account) -> Option<&str> {
        match self {
            Factor::Pin => account.pin.as_deref(),
            Factor::Code => account.code.as_deref(),
        }
    }
}
