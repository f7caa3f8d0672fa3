namespace EtnaAuth
{
    /// <summary>
    /// The native library's status codes (the <c>ETNA_*</c> constants of etna_auth.h), value for value.
    /// </summary>
    public enum EtnaStatus
    {
        /// <summary><c>ETNA_OK</c>: success.</summary>
        Ok = 0,
        /// <summary><c>ETNA_NEED_PIN</c>: the server asks for the security PIN.</summary>
        NeedPin = 1,
        /// <summary><c>ETNA_NEED_CODE</c>: the server asks for the verification code.</summary>
        NeedCode = 2,
        /// <summary><c>ETNA_ERR_ARGUMENT</c>: a bad argument; nothing was sent.</summary>
        Argument = -1,
        /// <summary><c>ETNA_ERR_STATE</c>: the call is not valid now; nothing was sent.</summary>
        State = -2,
        /// <summary><c>ETNA_ERR_APP_KEY</c>: the server does not know the application key.</summary>
        AppKey = -3,
        /// <summary><c>ETNA_ERR_CREDENTIALS</c>: wrong user name or password.</summary>
        Credentials = -4,
        /// <summary><c>ETNA_ERR_REJECTED</c>: the server ended the login (second factor refused for good, ...).</summary>
        Rejected = -5,
        /// <summary><c>ETNA_ERR_NETWORK</c>: DNS, connect, reset, truncated answer.</summary>
        Network = -6,
        /// <summary><c>ETNA_ERR_TIMEOUT</c>: the exchange did not complete within <see cref="EtnaSession.Timeout"/>.</summary>
        Timeout = -7,
        /// <summary><c>ETNA_ERR_PROTOCOL</c>: an answer that is not understood (not JSON, no Token, unknown Step, redirect, ...).</summary>
        Protocol = -8,
        /// <summary><c>ETNA_ERR_SERVER</c>: HTTP 5xx or 429.</summary>
        Server = -9,
        /// <summary><c>ETNA_ERR_IO</c>: a local file error, or a sandbox port that cannot be bound.</summary>
        IO = -10,
        /// <summary><c>ETNA_ERR_TLS</c>: untrusted certificate, host name mismatch, handshake failure, no trust store.</summary>
        Tls = -11,
        /// <summary><c>ETNA_ERR_NO_TOKEN</c>: no cached token valid long enough.</summary>
        NoToken = -12,
        /// <summary><c>ETNA_ERR_CANCELLED</c>: interrupted by <see cref="EtnaSession.Cancel"/>.</summary>
        Cancelled = -13,
        /// <summary><c>ETNA_ERR_INTERNAL</c>: a bug in etna-auth, caught at the C boundary.</summary>
        Internal = -99,
    }
}
