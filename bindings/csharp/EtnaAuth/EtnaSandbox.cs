using System;
using System.Globalization;
using System.Threading;

namespace EtnaAuth
{
    /// <summary>
    /// The library's emulator of the ETNA token endpoint, on 127.0.0.1 in background threads: for
    /// tests and demos that must not reach the real service.
    /// </summary>
    /// <remarks>
    /// With a null config: the defaults listed under "The sandbox's defaults" at the top of
    /// etna_auth.h (the app key, the attempts per factor and the accounts: alice with no second
    /// factor, bob with a PIN, carol with a code, dave with both, jürgen with a non-ASCII name).
    /// </remarks>
    public sealed class EtnaSandbox : IDisposable
    {
        private readonly EtnaSandboxHandle handle;
        private readonly string url;
        private readonly string appKey;
        private int disposed;

        /// <summary>
        /// Starts a sandbox. <paramref name="configJson"/> is null for the default accounts, or a JSON
        /// object whose keys are all optional (unknown keys are an error):
        /// <c>{"app_key": "...", "port": 0, "max_attempts": 3, "accounts": [{"username": "...",
        /// "password": "...", "pin": "1234", "code": "123456"}]}</c>.
        /// </summary>
        /// <exception cref="EtnaArgumentException">A bad config.</exception>
        /// <exception cref="EtnaIOException">The port cannot be bound (e.g. it is in use).</exception>
        public EtnaSandbox(string configJson = null)
        {
            byte[] config = Utf8.Encode(configJson, "configJson");
            EtnaSandboxHandle h = Ensure.Opened(NativeMethods.etna_sandbox_start(config));
            handle = h;
            // Owned by the sandbox: copied now, while it surely runs.
            url = Utf8.Decode(NativeMethods.etna_sandbox_url(h));
            appKey = Utf8.Decode(NativeMethods.etna_sandbox_app_key(h));
        }

        /// <summary>The base URL to give to <see cref="EtnaSession"/>, e.g. "http://127.0.0.1:40123/api".</summary>
        public string Url
        {
            get { Live(); return url; }
        }

        /// <summary>The application key the sandbox accepts.</summary>
        public string AppKey
        {
            get { Live(); return appKey; }
        }

        /// <summary>How many requests the sandbox has answered so far.</summary>
        public long RequestCount
        {
            get { return (long)NativeMethods.etna_sandbox_request_count(Live()); }
        }

        /// <summary>How many TCP connections the sandbox has accepted so far.</summary>
        public long ConnectionCount
        {
            get { return (long)NativeMethods.etna_sandbox_connection_count(Live()); }
        }

        /// <summary>A new session against this sandbox, with its URL and app key.</summary>
        public EtnaSession NewSession()
        {
            return new EtnaSession(Url, AppKey);
        }

        /// <summary>Stops the sandbox (closes its listener and connections). Calling it again does nothing.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0)
                return;
            handle.Dispose();
        }

        /// <summary>The URL and whether it runs.</summary>
        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "EtnaSandbox({0}, {1})", url, IsDisposed ? "stopped" : "running");
        }

        /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
        public bool IsDisposed
        {
            get { return Volatile.Read(ref disposed) != 0 || handle.IsClosed; }
        }

        private EtnaSandboxHandle Live()
        {
            if (IsDisposed)
                throw new ObjectDisposedException(GetType().Name);
            return handle;
        }
    }
}
