using System;
using System.Globalization;
using System.Text;
using System.Threading;

namespace EtnaAuth
{
    /// <summary>
    /// A login session with one ETNA Trader / AutoShares server (one base URL, one application key).
    /// </summary>
    /// <remarks>
    /// <para>Either call <see cref="Login"/>, or drive the steps yourself: <see cref="BeginAuth"/>,
    /// then <see cref="SupplyPin"/> / <see cref="SupplyCode"/> while the step asks for them, then
    /// read <see cref="Token"/> or <see cref="AuthorizationHeader"/>.</para>
    /// <para>Failures throw an <see cref="EtnaException"/> subclass; null arguments throw
    /// <see cref="ArgumentNullException"/> before anything reaches the native library, and a disposed
    /// session throws <see cref="ObjectDisposedException"/>.</para>
    /// <para>Thread safety: every member may be called from any thread; the native library
    /// serializes the calls on one session. <see cref="Cancel"/> and <see cref="Dispose"/> interrupt
    /// a call in flight on another thread. A session that is never disposed is released by the
    /// garbage collector.</para>
    /// </remarks>
    public sealed partial class EtnaSession : IDisposable
    {
        private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMilliseconds(StatusTable.DefaultTimeoutMs); // ETNA_DEFAULT_TIMEOUT_MS
        private static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromMilliseconds(StatusTable.DefaultLockTimeoutMs); // ETNA_DEFAULT_LOCK_TIMEOUT_MS

        private readonly EtnaSessionHandle handle;
        private readonly string baseUrl;
        private readonly object timeoutLock = new object();
        private TimeSpan timeout = DefaultTimeout;
        private TimeSpan lockTimeout = DefaultLockTimeout;
        private volatile string reason = string.Empty;
        private int disposed; // 1 once Dispose has begun (the handle may outlive it while a call is in flight)
        private int inFlight; // exchanges with the server begun and not returned (see Exchange and Dispose)
        private readonly object logLock = new object();
        private Action<EtnaLogLevel, string> log;
        private EtnaLogLevel logLevel = EtnaLogLevel.Info;
        private LogSink logSink; // created with the first Log handler, then kept

        // Cancelled by Dispose: a LoginAsync waiting for a callback's answer stops waiting.
        private readonly CancellationTokenSource disposing = new CancellationTokenSource();
        private readonly LoginsInFlight asyncLogins = new LoginsInFlight(); // LoginAsync / AcquireTokenAsync until their Task completes

        /// <summary>
        /// Creates a session for the API at <paramref name="baseUrl"/>, e.g.
        /// <c>"https://pub-api-et-demo-prod.etnasoft.us/api"</c> (requests go to <c>baseUrl + "/token"</c>).
        /// No network is used.
        /// </summary>
        /// <param name="baseUrl">https, or plain http to a loopback host only; no user info, query or fragment.</param>
        /// <param name="appKey">The company's application key (the <c>Et-App-Key</c> header).</param>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="EtnaArgumentException">The library refused an argument (empty, not a usable URL, ...).</exception>
        public EtnaSession(string baseUrl, string appKey)
        {
            byte[] url = Utf8.EncodeRequired(baseUrl, "baseUrl");
            byte[] key = Utf8.EncodeRequired(appKey, "appKey");
            handle = Ensure.Opened(NativeMethods.etna_new(url, key));
            this.baseUrl = baseUrl;
        }

        /// <summary>The API base URL given to the constructor.</summary>
        public string BaseUrl
        {
            get { return baseUrl; }
        }

        /// <summary>Whether <see cref="Dispose"/> has been called (or the session released).</summary>
        public bool IsDisposed
        {
            get { return Volatile.Read(ref disposed) != 0 || handle.IsClosed; }
        }

        /// <summary>
        /// The deadline of each exchange with the server (connect, TLS, sending and the whole answer
        /// together). Default 30 seconds; it must be positive and at most <see cref="uint.MaxValue"/>
        /// milliseconds (a fraction of a millisecond is rounded up).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">Zero, negative or too large.</exception>
        /// <exception cref="InvalidOperationException">Set as <see cref="EndLogin"/> says (e.g. on the
        /// SynchronizationContext of a LoginAsync in flight); nothing changed.</exception>
        public TimeSpan Timeout
        {
            get { return Duration(ref timeout); }
            set { SetDuration(ref timeout, value, false, NativeMethods.etna_set_timeout_ms, "The timeout must be positive and at most uint.MaxValue milliseconds."); }
        }

        /// <summary>
        /// How long <see cref="AcquireToken"/> and its variants wait for a lock that another login or
        /// writer holds: another thread's or process's login for the same store, server and user, or
        /// the token file's write lock while the token is saved. Then the call throws
        /// <see cref="EtnaTimeoutException"/>, its message naming the lock file and its holder.
        /// Default 2 minutes (<c>ETNA_DEFAULT_LOCK_TIMEOUT_MS</c>); <see cref="TimeSpan.Zero"/>: no
        /// wait at all (the exception at once while another holds the lock); at most
        /// <see cref="uint.MaxValue"/> milliseconds (a fraction of a millisecond is rounded up).
        /// <see cref="Cancel"/> or the call's CancellationToken ends a wait at once, whatever this says.
        /// </summary>
        /// <remarks>It does not bound the login itself (each exchange has <see cref="Timeout"/>), nor
        /// <see cref="SaveToken"/>, whose wait for the write lock is always the default.</remarks>
        /// <exception cref="ArgumentOutOfRangeException">Negative or too large.</exception>
        /// <exception cref="InvalidOperationException">Set as <see cref="EndLogin"/> says (e.g. on the
        /// SynchronizationContext of a LoginAsync or AcquireTokenAsync in flight); nothing changed.</exception>
        public TimeSpan LockTimeout
        {
            get { return Duration(ref lockTimeout); }
            set { SetDuration(ref lockTimeout, value, true, NativeMethods.etna_set_lock_timeout_ms, "The lock timeout must be zero or positive and at most uint.MaxValue milliseconds."); }
        }

        /// <summary>A duration setting's value (<see cref="Timeout"/>, <see cref="LockTimeout"/>).</summary>
        private TimeSpan Duration(ref TimeSpan field)
        {
            Live();
            lock (timeoutLock)
                return field;
        }

        /// <summary>
        /// Sets a duration setting: <paramref name="value"/> in whole milliseconds (a fraction rounded
        /// up) through <paramref name="setMs"/>, then kept as given. Refused, with nothing changed,
        /// when out of range (zero only when <paramref name="zeroAllowed"/>) or where
        /// <see cref="Changing"/> refuses.
        /// </summary>
        private void SetDuration(ref TimeSpan field, TimeSpan value, bool zeroAllowed, Func<EtnaSessionHandle, uint, int> setMs, string range)
        {
            double ms = Math.Ceiling(value.TotalMilliseconds);
            if (value < TimeSpan.Zero || (ms == 0 && !zeroAllowed) || ms > uint.MaxValue) // (a tick below zero rounds up to -0)
                throw new ArgumentOutOfRangeException("value", range);
            lock (timeoutLock)
            {
                Ensure.Success(setMs(Changing(), (uint)ms));
                field = value;
            }
        }

        /// <summary>
        /// Trusts exactly the certificates in the PEM file at <paramref name="pemPath"/> for https,
        /// instead of the operating system's trust store (like curl's CAINFO). The file is read now.
        /// </summary>
        /// <exception cref="EtnaIOException">The file cannot be read.</exception>
        /// <exception cref="EtnaArgumentException">The file holds no certificate.</exception>
        public void SetCaFile(string pemPath)
        {
            byte[] path = Utf8.EncodeRequired(pemPath, "pemPath");
            Ensure.Success(NativeMethods.etna_set_ca_file(Changing(), path));
        }

        /// <summary>
        /// Uses the HTTP proxy at <paramref name="proxyUrl"/> (<c>"http://[user:password@]host:port"</c>;
        /// https goes through it with CONNECT); null turns the proxy off. By default the session
        /// follows https_proxy / HTTPS_PROXY and NO_PROXY; loopback servers never use a proxy.
        /// </summary>
        /// <exception cref="EtnaArgumentException">Not an http:// URL.</exception>
        public void SetProxy(string proxyUrl)
        {
            byte[] url = Utf8.Encode(proxyUrl, "proxyUrl");
            try
            {
                Ensure.Success(NativeMethods.etna_set_proxy(Changing(), url));
            }
            finally
            {
                Utf8.Wipe(url); // it may hold the proxy's password
            }
        }

        /// <summary>
        /// Receives the session's log, one line per call (the level, and one line of text without
        /// CR or LF), up to <see cref="LogLevel"/>; null (the default) turns it off. No line contains
        /// a password, PIN, code or token, at any level (they show as <c>***</c>, the application
        /// key by its first 4 characters).
        /// </summary>
        /// <remarks>
        /// <para>The handler runs synchronously on the thread that makes the call being logged (for
        /// LoginAsync, its login thread), in the middle of it: keep it quick. It may read
        /// <see cref="Token"/>, <see cref="ExpiresAt"/>, <see cref="Reason"/> or call
        /// <see cref="Cancel"/>; calls that change the session throw
        /// <see cref="InvalidOperationException"/> there. An exception thrown by the handler is
        /// caught and dropped: it never crosses into the native library, and the call goes on.</para>
        /// <para>The delegate handed to the native library is kept alive as long as the native
        /// session exists. Setting the log waits for a call in flight on the session to end, and
        /// drops the kept-alive connection.</para>
        /// </remarks>
        public Action<EtnaLogLevel, string> Log
        {
            get { return Volatile.Read(ref log); }
            set
            {
                lock (logLock)
                    SetLog(value, logLevel);
            }
        }

        /// <summary>
        /// The most detailed level <see cref="Log"/> receives: <see cref="EtnaLogLevel.Info"/> (the
        /// default), <see cref="EtnaLogLevel.Debug"/> or <see cref="EtnaLogLevel.Trace"/>.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">Not one of the levels.</exception>
        public EtnaLogLevel LogLevel
        {
            get
            {
                lock (logLock)
                    return logLevel;
            }
            set
            {
                if (value < EtnaLogLevel.Info || value > EtnaLogLevel.Trace)
                    throw new ArgumentOutOfRangeException("value", "The log level must be Info, Debug or Trace.");
                lock (logLock)
                    SetLog(log, value);
            }
        }

        /// <summary>Installs <paramref name="handler"/> at <paramref name="level"/> (under logLock).</summary>
        private void SetLog(Action<EtnaLogLevel, string> handler, EtnaLogLevel level)
        {
            EtnaSessionHandle h = Changing();
            if (handler != null)
            {
                if (logSink == null)
                {
                    // The one delegate this session ever gives the library, kept by the handle.
                    var sink = new LogSink();
                    h.LogCallback = sink.Callback;
                    Volatile.Write(ref logSink, sink);
                }
                logSink.Handler = handler; // before the library may call it
                Ensure.Success(NativeMethods.etna_set_log_callback(h, logSink.Callback, IntPtr.Zero, (int)level));
            }
            else if (logSink != null)
            {
                Ensure.Success(NativeMethods.etna_set_log_callback(h, null, IntPtr.Zero, 0));
                logSink.Handler = null;
            }
            Volatile.Write(ref log, handler);
            logLevel = level;
        }

        /// <summary>
        /// Starts (or restarts) a login with the user's name and password, sent as UTF-8. A previous
        /// login's token is dropped.
        /// </summary>
        /// <returns><see cref="AuthStep.Done"/>, or the factor the server asks for (its words in <see cref="Reason"/>).</returns>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="EtnaException">A subclass per failure, e.g. <see cref="EtnaCredentialsException"/>.</exception>
        public AuthStep BeginAuth(string username, string password)
        {
            byte[] user = Utf8.EncodeRequired(username, "username");
            byte[] pass = Utf8.EncodeRequired(password, "password");
            try
            {
                return Begin(user, pass).Step;
            }
            finally
            {
                Utf8.Wipe(pass);
            }
        }

        /// <summary>
        /// Sends the security PIN, after <see cref="AuthStep.NeedPin"/>. Returns
        /// <see cref="AuthStep.NeedPin"/> again when it was wrong and the server allows another try
        /// (<see cref="Reason"/> then says e.g. "Invalid pin").
        /// </summary>
        /// <exception cref="EtnaStateException">No PIN was asked for (also after a login has given up); nothing was sent.</exception>
        /// <exception cref="EtnaRejectedException">Refused for good (too many wrong PINs).</exception>
        public AuthStep SupplyPin(string pin)
        {
            return Supply(AuthStep.NeedPin, pin, "pin");
        }

        /// <summary>
        /// Sends the verification code (email or SMS), after <see cref="AuthStep.NeedCode"/>. Returns
        /// <see cref="AuthStep.NeedCode"/> again when it was wrong and the server allows another try
        /// (<see cref="Reason"/> then says e.g. "Invalid verification code").
        /// </summary>
        /// <exception cref="EtnaStateException">No code was asked for (also after a login has given up); nothing was sent.</exception>
        /// <exception cref="EtnaRejectedException">Refused for good (too many wrong codes).</exception>
        public AuthStep SupplyCode(string code)
        {
            return Supply(AuthStep.NeedCode, code, "code");
        }

        /// <summary>Where a login stands after one exchange, with the server's Reason read on the thread that made it.</summary>
        private struct Progress
        {
            internal AuthStep Step;
            internal string Reason;
        }

        private Progress Begin(byte[] user, byte[] pass)
        {
            return Outcome(Exchange(h => NativeMethods.etna_begin_auth(h, user, pass)));
        }

        /// <summary>Sends a PIN or a code (<paramref name="factor"/>), wiping its bytes afterwards.</summary>
        private AuthStep Supply(AuthStep factor, string secret, string argument)
        {
            byte[] value = Utf8.EncodeRequired(secret, argument);
            try
            {
                return Outcome(factor == AuthStep.NeedPin
                    ? Exchange(h => NativeMethods.etna_supply_pin(h, value))
                    : Exchange(h => NativeMethods.etna_supply_code(h, value))).Step;
            }
            finally
            {
                Utf8.Wipe(value);
            }
        }

        /// <summary>
        /// The server's Reason that came with the last <see cref="AuthStep.NeedPin"/> /
        /// <see cref="AuthStep.NeedCode"/> (e.g. "Invalid pin"); empty after any other outcome.
        /// </summary>
        public string Reason
        {
            get { return reason; }
        }

        /// <summary>The session token, after a successful login.</summary>
        /// <exception cref="EtnaStateException">There is no token (no successful login yet).</exception>
        public string Token
        {
            get
            {
                EtnaSessionHandle h = Live();
                int n = Ensure.Success(NativeMethods.etna_get_token(h, null, UIntPtr.Zero));
                while (true)
                {
                    var buf = new byte[n + 1];
                    try
                    {
                        int m = Ensure.Success(NativeMethods.etna_get_token(h, buf, new UIntPtr((uint)buf.Length)));
                        if (m <= n) // written (another thread may have logged in again meanwhile)
                            return Encoding.UTF8.GetString(buf, 0, m);
                        n = m; // a longer token appeared between the calls: ask again
                    }
                    finally
                    {
                        Utf8.Wipe(buf);
                    }
                }
            }
        }

        /// <summary>The value of the <c>Authorization</c> header for later API calls: <c>"Bearer " + Token</c>.</summary>
        /// <exception cref="EtnaStateException">There is no token.</exception>
        public string AuthorizationHeader
        {
            get { return "Bearer " + Token; }
        }

        /// <summary>
        /// When the token expires (the login time plus the documented 24 hours), or null when the
        /// session holds no token. Never waits for an exchange in flight on another thread.
        /// </summary>
        public DateTimeOffset? ExpiresAt
        {
            get
            {
                long seconds = NativeMethods.etna_token_expires_at(Live());
                if (seconds <= 0) // 0: no token
                    return null;
                return DateTimeOffset.FromUnixTimeSeconds(seconds);
            }
        }

        /// <summary>
        /// Interrupts the exchange in flight on this session (<see cref="BeginAuth"/>,
        /// <see cref="SupplyPin"/>, <see cref="SupplyCode"/>, or one inside <see cref="Login"/>), from
        /// any thread: that call throws <see cref="EtnaCancelledException"/>. With no exchange in
        /// flight, the next one on this session throws it at once without sending anything, so that
        /// a cancel is never lost to a worker thread that has not made its call yet. Each cancel
        /// stops one call; <see cref="EndLogin"/> drops one that no call has used. Never blocks.
        /// A step-by-step login keeps its step; <see cref="Login"/> gives up.
        /// </summary>
        public void Cancel()
        {
            Ensure.Success(NativeMethods.etna_cancel(Live()));
        }

        /// <summary>
        /// Ends the login: abandons one in progress (the user gave up on the code) or logs out, while
        /// the session and its settings stay. The credentials, tokens and the connection's buffers are
        /// wiped in the native library, and a <see cref="Cancel"/> that no call has used is dropped; a
        /// token cache file is not touched (see <see cref="ForgetToken"/>).
        /// </summary>
        /// <remarks>It does not cancel a <see cref="LoginAsync"/> in flight: on that call's
        /// SynchronizationContext (a dialog's Cancel button) it throws, and elsewhere it waits for
        /// the login's exchange (or, while the login waits for its callback, the library refuses it).
        /// Cancel the login with its token or <see cref="Cancel"/>.</remarks>
        /// <exception cref="InvalidOperationException">Called from a login callback or <see cref="Log"/> handler of this
        /// session, or on the SynchronizationContext of this session's LoginAsync or AcquireTokenAsync in flight
        /// (from the call until its Task completes); nothing changed.</exception>
        /// <exception cref="EtnaStateException">Called from another thread while this session's login waits for its
        /// callback (<c>ETNA_ERR_STATE</c>); nothing changed.</exception>
        public void EndLogin()
        {
            Ensure.Success(NativeMethods.etna_end_login(Changing()));
            reason = string.Empty;
        }

        /// <summary>
        /// Saves this session's token in the token cache file at <paramref name="path"/> (JSON, mode
        /// 0600, keyed by base URL and user name, replaced atomically).
        /// </summary>
        /// <exception cref="EtnaStateException">There is no token.</exception>
        /// <exception cref="EtnaIOException">A file error, or a cache file that is corrupt or open to others.</exception>
        public void SaveToken(string path)
        {
            byte[] p = Utf8.EncodeRequired(path, "path");
            Ensure.Success(NativeMethods.etna_save_token(Live(), p));
        }

        /// <summary>
        /// Loads <paramref name="username"/>'s cached token for this base URL from the token cache file
        /// at <paramref name="path"/>, if it stays valid for at least <paramref name="minValidity"/>;
        /// then the session holds it as after a login. Returns false when there is no such token
        /// (nothing changes then); never uses the network.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="minValidity"/> is negative or over uint.MaxValue seconds.</exception>
        /// <exception cref="EtnaIOException">The file cannot be read, is corrupt, or is open to others.</exception>
        public bool TryLoadToken(string path, string username, TimeSpan minValidity)
        {
            byte[] p = Utf8.EncodeRequired(path, "path");
            byte[] user = Utf8.EncodeRequired(username, "username");
            double s = Math.Ceiling(minValidity.TotalSeconds);
            if (s < 0 || s > uint.MaxValue)
                throw new ArgumentOutOfRangeException("minValidity");
            int status = NativeMethods.etna_load_token(Changing(), p, user, (uint)s);
            if (status == (int)EtnaStatus.NoToken)
                return false;
            Ensure.Success(status);
            return true;
        }

        /// <summary>The same as <see cref="TryLoadToken"/>, under its first name (kept for the code that calls it).</summary>
        public bool LoadToken(string path, string username, TimeSpan minValidity)
        {
            return TryLoadToken(path, username, minValidity);
        }

        /// <summary>
        /// Removes <paramref name="username"/>'s cached token for <paramref name="baseUrl"/> from the
        /// token cache file at <paramref name="path"/> (a logout); nothing to remove is fine.
        /// </summary>
        /// <exception cref="EtnaIOException">A file error.</exception>
        public static void ForgetToken(string path, string baseUrl, string username)
        {
            byte[] p = Utf8.EncodeRequired(path, "path");
            byte[] url = Utf8.EncodeRequired(baseUrl, "baseUrl");
            byte[] user = Utf8.EncodeRequired(username, "username");
            Ensure.Success(NativeMethods.etna_forget_token(p, url, user));
        }

        /// <summary>
        /// Releases the native session and wipes the credentials and token it held. Never waits:
        /// calls in flight on other threads are cancelled, and so is each call still waiting for
        /// the session behind another one, as its turn comes. A login (<see cref="Login"/>,
        /// <see cref="LoginAsync"/>, <see cref="AcquireToken"/>, their variants) ends with
        /// <see cref="ObjectDisposedException"/>, also one that waits for a callback (it stops
        /// waiting); a step (<see cref="BeginAuth"/>, <see cref="SupplyPin"/>,
        /// <see cref="SupplyCode"/>) with <see cref="EtnaCancelledException"/>; later calls throw
        /// <see cref="ObjectDisposedException"/>. The native session is freed now when no call uses it, else by the last call
        /// to return (so a UI thread that disposes never waits for the network). Calling it
        /// again does nothing.
        /// </summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0)
                return;
            CancelQuietly();
            try
            {
                disposing.Cancel();
            }
            catch (AggregateException)
            {
                // A callback registered on the token threw: nothing of this session's.
            }
            // inFlight is read after disposed was set (both full fences): either this sees the
            // last call, or that call sees the disposal and frees (Exchange).
            if (Volatile.Read(ref inFlight) == 0)
                handle.Dispose();
        }

        /// <summary>The base URL and whether the session is open; never a secret.</summary>
        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "EtnaSession({0}, {1})", baseUrl, IsDisposed ? "disposed" : "open");
        }

        /// <summary>
        /// Runs a native call that exchanges with the server, counted in <see cref="inFlight"/> so
        /// that <see cref="Dispose"/> knows to leave the free to it. The count goes up before the disposed
        /// check (both are full fences), so either the call sees the disposal and throws
        /// <see cref="ObjectDisposedException"/>, or Dispose sees the call.
        /// </summary>
        private int Exchange(Func<EtnaSessionHandle, int> call)
        {
            Interlocked.Increment(ref inFlight);
            try
            {
                return call(Changing());
            }
            finally
            {
                bool last = Interlocked.Decrement(ref inFlight) == 0;
                if (Volatile.Read(ref disposed) != 0)
                {
                    // Disposed meanwhile. etna_cancel stops only the exchange in flight: the next
                    // call waiting for the session's lock gets its own cancel from the one before
                    // it, and the last call frees the session.
                    if (last)
                        handle.Dispose();
                    else
                        CancelQuietly();
                }
            }
        }

        /// <summary>
        /// <see cref="Live"/>, for a call that changes the session and blocks its caller until the
        /// session is free (<see cref="MayChange"/>).
        /// </summary>
        private EtnaSessionHandle Changing()
        {
            return MayChange(true);
        }

        /// <summary>
        /// <see cref="Live"/>, for a call that changes the session: refused where it would wait for
        /// itself. Inside this session's <see cref="Log"/> handler or a login callback on this
        /// thread the native library holds the session's lock. And when
        /// <paramref name="blocksCaller"/>, on the context of this session's LoginAsync or
        /// AcquireTokenAsync in flight: the login holds the session and will post its callback
        /// to that context, blocked on the session (issue 27: refused for the whole call, its
        /// first exchange included, not only while it waits for a callback).
        /// </summary>
        private EtnaSessionHandle MayChange(bool blocksCaller)
        {
            LogSink sink = Volatile.Read(ref logSink);
            if (sink != null && sink.IsRunningOnThisThread)
                throw new InvalidOperationException("A Log handler must not change its session (log in, set options, end the login); it may read Token, ExpiresAt, Reason or Cancel.");
            if (LoginCall.CallbackRunsHere(this))
                throw new InvalidOperationException("A login callback must not change the session (log in, set options, end the login): the login holds it. Cancel the login instead (its token, or Cancel); reading Token, ExpiresAt or Reason is fine.");
            if (blocksCaller && asyncLogins.AnyPostsToThisThread())
                throw new InvalidOperationException("This session's LoginAsync or AcquireTokenAsync is in flight and holds the session until its Task completes; "
                    + "a change of the session on its SynchronizationContext (log in, set options, end the login) would wait for the login, which posts its callbacks here. "
                    + "Cancel the login instead (its token, or Cancel); reading Token, ExpiresAt or Reason is fine.");
            return Live();
        }

        private EtnaSessionHandle Live()
        {
            if (IsDisposed)
                throw new ObjectDisposedException(GetType().Name);
            return handle;
        }

        /// <summary>
        /// The outcome of an exchange's status, with the server's Reason for ETNA_NEED_*; throws the
        /// exception for an error. Call it right after the native call, on the same thread: both
        /// come from that thread's last error.
        /// </summary>
        private Progress Outcome(int status)
        {
            if (status < 0)
                reason = string.Empty;
            Ensure.Success(status);
            if (status > (int)AuthStep.NeedCode)
                throw Ensure.ErrorFor((int)EtnaStatus.Internal, "unknown step status " + status.ToString(CultureInfo.InvariantCulture));
            // The Reason travels with each step (not only through the Reason property), so that
            // logins on one session from several threads each see their own.
            string why = status > 0 ? NativeMethods.LastError() : string.Empty;
            reason = why;
            return new Progress { Step = (AuthStep)status, Reason = why };
        }
    }
}
