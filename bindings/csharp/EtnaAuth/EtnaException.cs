using System;
using System.Globalization;

namespace EtnaAuth
{
    /// <summary>
    /// A failure reported by the native library: <see cref="Status"/> is its code, and
    /// <see cref="Exception.Message"/> its message (<c>etna_last_error()</c>) verbatim, one line
    /// naming the cause, with the HTTP status and the server's Step/Reason where there were any.
    /// </summary>
    /// <remarks>
    /// <para>Catch a subclass to handle one status (e.g. <see cref="EtnaCredentialsException"/>) or
    /// family (<see cref="EtnaNetworkException"/> also catches <see cref="EtnaTimeoutException"/>),
    /// or this class for all. The classes, their families and <see cref="RetryCanHelp"/> come
    /// from the library's status table (bindings/status_codes.json, generated into
    /// Exceptions.cs and StatusTable.cs).</para>
    /// <para>Messages never contain a password, PIN, code or token: the native library does not
    /// put them there, and this binding never adds argument values.</para>
    /// </remarks>
    public class EtnaException : Exception
    {
        /// <summary>Creates an exception with status <see cref="EtnaStatus.Internal"/> and its description.</summary>
        public EtnaException() : this(null, null) { }

        /// <summary>Creates an exception with status <see cref="EtnaStatus.Internal"/> and a message.</summary>
        public EtnaException(string message) : this(message, null) { }

        /// <summary>Creates an exception with status <see cref="EtnaStatus.Internal"/>, a message and its cause.</summary>
        public EtnaException(string message, Exception innerException)
            : this(EtnaStatus.Internal, message ?? StatusTable.Describe(EtnaStatus.Internal), innerException) { }

        /// <summary>Creates an exception for <paramref name="status"/> with the library's message.</summary>
        /// <param name="status">The native status code.</param>
        /// <param name="nativeMessage">The message, used as it is (no prefix: the status is <see cref="Status"/>).</param>
        public EtnaException(EtnaStatus status, string nativeMessage) : this(status, nativeMessage, null) { }

        /// <summary>Creates an exception for <paramref name="status"/> with a message and its cause.</summary>
        public EtnaException(EtnaStatus status, string message, Exception innerException)
            : base(message ?? string.Empty, innerException)
        {
            Status = status;
        }

        /// <summary>The native status code.</summary>
        public EtnaStatus Status { get; private set; }

        /// <summary>
        /// Whether the same call may succeed if made again (a network failure, a timeout, a server
        /// error): the status table's retry column. A wrong password, a refused factor or a bad
        /// argument give false.
        /// </summary>
        public bool RetryCanHelp
        {
            get { return StatusTable.RetryCanHelp(Status); }
        }

        /// <summary>The C name of a status code, e.g. <c>"ETNA_ERR_TIMEOUT"</c>.</summary>
        public static string StatusName(EtnaStatus status)
        {
            return StatusTable.Name(status) ?? "ETNA status " + ((int)status).ToString(CultureInfo.InvariantCulture);
        }
    }
}
