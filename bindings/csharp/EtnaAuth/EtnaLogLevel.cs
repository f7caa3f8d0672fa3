namespace EtnaAuth
{
    /// <summary>How much of a session's log <see cref="EtnaSession.Log"/> receives (the <c>ETNA_LOG_*</c> levels of etna_auth.h).</summary>
    public enum EtnaLogLevel
    {
        /// <summary><c>ETNA_LOG_INFO</c>: each step asked for and its result.</summary>
        Info = 1,
        /// <summary><c>ETNA_LOG_DEBUG</c>: also each request and answer (headers with secrets as <c>***</c>, status, State, Step, Reason, timing).</summary>
        Debug = 2,
        /// <summary><c>ETNA_LOG_TRACE</c>: also connection events (host name lookup, new or reused connection, proxy, TLS).</summary>
        Trace = 3,
    }
}
