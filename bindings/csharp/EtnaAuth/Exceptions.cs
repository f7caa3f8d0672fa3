using System;
using System.Globalization;
using System.Text;

namespace EtnaAuth
{
    /// <summary>
    /// A failure reported by the native library: <see cref="Status"/> is its code, and
    /// <see cref="Exception.Message"/> its message (<c>etna_last_error()</c>) verbatim, one line
    /// naming the cause, with the HTTP status and the server's Step/Reason where there were any.
    /// </summary>
    /// <remarks>
    /// Catch a subclass to handle one family (e.g. <see cref="EtnaCredentialsException"/>), or
    /// this class for all. Messages never contain a password, PIN, code or token: the native
    /// library does not put them there, and this binding never adds argument values.
    /// </remarks>
    public class EtnaException : Exception
    {
        /// <summary>Creates an exception for <paramref name="status"/> with the library's message.</summary>
        /// <param name="status">The native status code.</param>
        /// <param name="nativeMessage">The message, used as it is (no prefix: the status is <see cref="Status"/>).</param>
        public EtnaException(EtnaStatus status, string nativeMessage)
            : base(nativeMessage ?? string.Empty)
        {
            Status = status;
        }

        /// <summary>The native status code.</summary>
        public EtnaStatus Status { get; private set; }

        /// <summary>The C name of a status code, e.g. <c>"ETNA_ERR_TIMEOUT"</c>.</summary>
        /// <remarks>
        /// Derived from the member's name, so that there is no second list of names to keep in
        /// step with etna_auth.h (the tests check the result against the header): ETNA_ERR_ for
        /// the errors, ETNA_ otherwise, and an underscore where a lower-case letter meets a
        /// capital (<c>AppKey</c> gives <c>APP_KEY</c>, <c>IO</c> gives <c>IO</c>).
        /// </remarks>
        public static string StatusName(EtnaStatus status)
        {
            string member = Enum.GetName(typeof(EtnaStatus), status);
            if (member == null)
                return "ETNA status " + ((int)status).ToString(CultureInfo.InvariantCulture);
            var name = new StringBuilder(status < 0 ? "ETNA_ERR_" : "ETNA_");
            for (int i = 0; i < member.Length; i++)
            {
                if (i > 0 && char.IsUpper(member[i]) && char.IsLower(member[i - 1]))
                    name.Append('_');
                name.Append(char.ToUpperInvariant(member[i]));
            }
            return name.ToString();
        }
    }

    /// <summary><c>ETNA_ERR_ARGUMENT</c>: an argument the library refused (a control character in a
    /// header value, a URL that is not https or loopback http, ...). Nothing was sent.</summary>
    public class EtnaArgumentException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaArgumentException(string nativeMessage) : base(EtnaStatus.Argument, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_STATE</c>: the call is not valid now (no token yet, no factor asked for,
    /// the login is over). Nothing was sent.</summary>
    public class EtnaStateException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaStateException(string nativeMessage) : base(EtnaStatus.State, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_APP_KEY</c>: the server does not know the application key.</summary>
    public class EtnaAppKeyException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaAppKeyException(string nativeMessage) : base(EtnaStatus.AppKey, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_CREDENTIALS</c>: wrong user name or password.</summary>
    public class EtnaCredentialsException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaCredentialsException(string nativeMessage) : base(EtnaStatus.Credentials, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_REJECTED</c>: the server ended the login: a second factor refused for
    /// good (too many wrong answers), "Corrupted ticket", any other Failed answer.</summary>
    public class EtnaRejectedException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaRejectedException(string nativeMessage) : base(EtnaStatus.Rejected, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_NETWORK</c>: DNS, connect, reset, truncated answer. On
    /// <see cref="EtnaSession.SupplyPin"/> / <see cref="EtnaSession.SupplyCode"/> the step stands
    /// and the call may be repeated.</summary>
    public class EtnaNetworkException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaNetworkException(string nativeMessage) : base(EtnaStatus.Network, nativeMessage) { }

        /// <summary>For subclasses (<see cref="EtnaTimeoutException"/>).</summary>
        protected EtnaNetworkException(EtnaStatus status, string nativeMessage) : base(status, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_TIMEOUT</c>: the exchange did not complete within
    /// <see cref="EtnaSession.Timeout"/>. A network failure: the step stands as after one.</summary>
    public class EtnaTimeoutException : EtnaNetworkException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaTimeoutException(string nativeMessage) : base(EtnaStatus.Timeout, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_PROTOCOL</c>: an answer that is not understood: not JSON, a missing or
    /// unsafe Token, an unknown State or Step (the message names what was seen), a redirect (never
    /// followed), a body over 64 KiB, an unexpected HTTP status.</summary>
    public class EtnaProtocolException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaProtocolException(string nativeMessage) : base(EtnaStatus.Protocol, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_SERVER</c>: HTTP 5xx or 429. On a supply call the step stands and the
    /// call may be repeated.</summary>
    public class EtnaServerException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaServerException(string nativeMessage) : base(EtnaStatus.Server, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_IO</c>: a local file error (CA file, token cache), or a sandbox port that
    /// cannot be bound.</summary>
    public class EtnaIOException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaIOException(string nativeMessage) : base(EtnaStatus.IO, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_TLS</c>: untrusted certificate, host name mismatch, handshake failure,
    /// or no trust store (see <see cref="EtnaSession.SetCaFile"/>).</summary>
    public class EtnaTlsException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaTlsException(string nativeMessage) : base(EtnaStatus.Tls, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_NO_TOKEN</c>: no cached token valid long enough.</summary>
    public class EtnaNoTokenException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaNoTokenException(string nativeMessage) : base(EtnaStatus.NoToken, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_CANCELLED</c>: the call was interrupted by <see cref="EtnaSession.Cancel"/>
    /// (or by disposing the session) from another thread.</summary>
    public class EtnaCancelledException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaCancelledException(string nativeMessage) : base(EtnaStatus.Cancelled, nativeMessage) { }
    }

    /// <summary><c>ETNA_ERR_INTERNAL</c>: a bug in etna-auth, caught before it crossed into C#.</summary>
    public class EtnaInternalException : EtnaException
    {
        /// <summary>Creates the exception with the library's message.</summary>
        public EtnaInternalException(string nativeMessage) : base(EtnaStatus.Internal, nativeMessage) { }
    }
}
