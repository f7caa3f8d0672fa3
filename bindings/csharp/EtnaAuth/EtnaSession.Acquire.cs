using System;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth
{
    // A valid token when the application needs one: the library's etna_acquire_token (the stored
    // token, else one login by the login policy, stored; one login across threads and processes).
    // This binding only marshals the arguments and hands it the callbacks (LoginCall).
    public sealed partial class EtnaSession
    {
        /// <summary>The store spec of the OS credential store, for the <c>store</c> argument of <see cref="AcquireToken"/>.</summary>
        public const string KeyringStore = "keyring";

        /// <summary>The <c>minValid</c> of AcquireToken when none is given: 5 minutes.</summary>
        public static readonly TimeSpan DefaultMinValid = TimeSpan.FromMinutes(5);

        /// <summary>
        /// The default store, used when <c>store</c> is null (<c>etna_default_store</c>): the value of
        /// the environment variable <c>ETNA_AUTH_STORE</c> when set (<c>"keyring"</c> or a path), else
        /// the per-user token file, e.g. <c>~/.config/etna-auth/tokens.json</c> on Linux,
        /// <c>%APPDATA%\etna-auth\tokens.json</c> on Windows. Nothing is created.
        /// </summary>
        /// <exception cref="EtnaIOException">There is no default place (no home folder).</exception>
        public static string DefaultStore
        {
            get
            {
                int n = Ensure.Success(NativeMethods.etna_default_store(null, UIntPtr.Zero));
                while (true)
                {
                    var buf = new byte[n + 1];
                    int m = Ensure.Success(NativeMethods.etna_default_store(buf, new UIntPtr((uint)buf.Length)));
                    if (m <= n)
                        return Encoding.UTF8.GetString(buf, 0, m);
                    n = m; // the environment changed between the calls: ask again
                }
            }
        }

        /// <summary>
        /// Returns a token valid for at least <paramref name="minValid"/> more: the one stored for
        /// <paramref name="username"/> at this base URL (nothing is sent, no callback is called),
        /// else the token of a login by <see cref="Login"/>'s policy, which is then stored
        /// (<c>etna_acquire_token</c>, shared with every front end).
        /// </summary>
        /// <remarks>
        /// <para>While another thread or process logs in for the same store, server and user, this
        /// call waits for it and takes its token: one login, one SMS code. A refused password throws
        /// <see cref="EtnaCredentialsException"/> at once; it is never tried again.</para>
        /// <para>On failure the library has ended the login, as for <see cref="Login"/>; the one
        /// exception is a token that could not be stored (<see cref="EtnaIOException"/>): the session
        /// keeps it. <see cref="Cancel"/> interrupts the call, also its wait for another login.</para>
        /// </remarks>
        /// <param name="username">The user name, sent as UTF-8.</param>
        /// <param name="password">The password, used only when a login is needed; null: a needed login
        /// throws <see cref="EtnaCancelledException"/> without sending anything.</param>
        /// <param name="pin">Gives the security PIN when the server asks for it, as for <see cref="Login"/>.</param>
        /// <param name="code">Gives the verification code when the server asks for it, as for <see cref="Login"/>.</param>
        /// <param name="store">null for <see cref="DefaultStore"/>, <see cref="KeyringStore"/> for the OS
        /// credential store (no fallback to a file: <see cref="EtnaIOException"/> when none is
        /// reachable), or a token file's path (created 0600, its folders 0700).</param>
        /// <param name="minValid">How long the token must stay valid, at most 24 hours; null: <see cref="DefaultMinValid"/>.</param>
        /// <param name="cancellationToken">Cancels the call, as for <see cref="Login"/> (also its wait for another login).</param>
        /// <returns>The session token (also in <see cref="Token"/>).</returns>
        /// <exception cref="ArgumentNullException"><paramref name="username"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="minValid"/> is negative or over uint.MaxValue seconds.</exception>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (it carries the token).</exception>
        /// <exception cref="ObjectDisposedException">The session was disposed, also during the call.</exception>
        /// <exception cref="InvalidOperationException">As for <see cref="Login"/>.</exception>
        /// <exception cref="EtnaCancelledException">A login was needed and <paramref name="password"/> is
        /// null (nothing was sent), or as for <see cref="Login"/>. (<see cref="TryLoadToken"/> looks a
        /// token up in a token file and returns false instead.)</exception>
        /// <exception cref="EtnaException">The subclass for the library's error, with its message verbatim.</exception>
        public string AcquireToken(string username, string password = null, Func<string, string> pin = null, Func<string, string> code = null,
            string store = null, TimeSpan? minValid = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] pass;
            Func<LoginCall, string> run = PrepareAcquire(username, password, store, minValid, true, out pass);
            ThrowIfCancelled(cancellationToken, pass);
            return run(new LoginCall(this, pin, code, null, cancellationToken));
        }

        /// <summary>
        /// <see cref="AcquireToken"/> with the password asked for only when a login is needed:
        /// <paramref name="askPassword"/> is called on this thread with the library's reason; null gives up
        /// (<see cref="EtnaCancelledException"/>, nothing sent). It is not called when a stored token is valid.
        /// </summary>
        /// <remarks>(A name of its own, not an AcquireToken overload: with both,
        /// <c>AcquireToken(user, null)</c>, the documented way to ask for a stored token only, would be ambiguous.)</remarks>
        /// <exception cref="ArgumentNullException"><paramref name="username"/> or <paramref name="askPassword"/> is null.</exception>
        public string AcquireTokenWithPasswordPrompt(string username, Func<string, string> askPassword, Func<string, string> pin = null,
            Func<string, string> code = null, string store = null, TimeSpan? minValid = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            Required(askPassword, "askPassword");
            byte[] pass;
            Func<LoginCall, string> run = PrepareAcquire(username, null, store, minValid, true, out pass);
            ThrowIfCancelled(cancellationToken, pass);
            return run(new LoginCall(this, pin, code, askPassword, cancellationToken));
        }

        /// <summary>
        /// <see cref="AcquireToken"/> without blocking the caller: the call runs on a thread of its
        /// own and the callbacks as for <see cref="LoginAsync"/> (also its guard: until the Task
        /// completes, a change of the session on the caller's context throws
        /// <see cref="InvalidOperationException"/>). Cancelling <paramref name="cancellationToken"/>
        /// interrupts the call (also its wait for another login); the Task ends with
        /// <see cref="OperationCanceledException"/>; <see cref="Dispose"/> with <see cref="ObjectDisposedException"/>.
        /// </summary>
        public Task<string> AcquireTokenAsync(string username, string password = null, Func<string, Task<string>> pin = null, Func<string, Task<string>> code = null,
            string store = null, TimeSpan? minValid = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return AcquireAsync(username, password, null, IgnoringToken(pin), IgnoringToken(code), store, minValid, cancellationToken);
        }

        /// <summary><see cref="AcquireTokenAsync"/> with callbacks that also receive the <paramref name="cancellationToken"/>.</summary>
        public Task<string> AcquireTokenWithCancellableCallbacksAsync(string username, string password = null, Func<string, CancellationToken, Task<string>> pin = null,
            Func<string, CancellationToken, Task<string>> code = null, string store = null, TimeSpan? minValid = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return AcquireAsync(username, password, null, pin, code, store, minValid, cancellationToken);
        }

        /// <summary><see cref="AcquireTokenAsync"/> with the password asked for (asynchronously) only when a login is needed.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="username"/> or <paramref name="askPassword"/> is null (thrown at once).</exception>
        public Task<string> AcquireTokenWithPasswordPromptAsync(string username, Func<string, Task<string>> askPassword, Func<string, Task<string>> pin = null,
            Func<string, Task<string>> code = null, string store = null, TimeSpan? minValid = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            Required(askPassword, "askPassword");
            return AcquireAsync(username, null, IgnoringToken(askPassword), IgnoringToken(pin), IgnoringToken(code), store, minValid, cancellationToken);
        }

        /// <summary>
        /// <see cref="AcquireTokenWithPasswordPromptAsync(string, Func{string, Task{string}}, Func{string, Task{string}}, Func{string, Task{string}}, string, TimeSpan?, CancellationToken)"/>
        /// with callbacks that also receive the <paramref name="cancellationToken"/>.
        /// </summary>
        /// <exception cref="ArgumentNullException"><paramref name="username"/> or <paramref name="askPassword"/> is null (thrown at once).</exception>
        public Task<string> AcquireTokenWithPasswordPromptAsync(string username, Func<string, CancellationToken, Task<string>> askPassword,
            Func<string, CancellationToken, Task<string>> pin = null, Func<string, CancellationToken, Task<string>> code = null,
            string store = null, TimeSpan? minValid = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            Required(askPassword, "askPassword");
            return AcquireAsync(username, null, askPassword, pin, code, store, minValid, cancellationToken);
        }

        private static void Required(object callback, string name)
        {
            if (callback == null)
                throw new ArgumentNullException(name);
        }

        private Task<string> AcquireAsync(string username, string password, Func<string, CancellationToken, Task<string>> askPassword,
            Func<string, CancellationToken, Task<string>> pin, Func<string, CancellationToken, Task<string>> code, string store, TimeSpan? minValid,
            CancellationToken cancellationToken)
        {
            byte[] pass;
            Func<LoginCall, string> run = PrepareAcquire(username, password, store, minValid, false, out pass);
            if (cancellationToken.IsCancellationRequested)
            {
                Utf8.Wipe(pass);
                return Task.FromCanceled<string>(cancellationToken);
            }
            var call = new LoginCall(this, pin, code, askPassword, LoginCall.CallersContext(), cancellationToken, disposing.Token);
            return OnLoginThread(call, () => run(call));
        }

        /// <summary>
        /// Checks and encodes the arguments (throws, sending nothing, when one is wrong); returns the
        /// one <c>etna_acquire_token</c> call to run with a <see cref="LoginCall"/> (<see cref="RunLogin"/>,
        /// which wipes <paramref name="pass"/>, the password's bytes or null). <paramref name="blocksCaller"/>:
        /// whether the call will block this thread (<see cref="MayChange"/>).
        /// </summary>
        private Func<LoginCall, string> PrepareAcquire(string username, string password, string store, TimeSpan? minValid, bool blocksCaller, out byte[] pass)
        {
            byte[] user = Utf8.EncodeRequired(username, "username");
            byte[] where = Utf8.Encode(store, "store");
            uint seconds = MinValidSeconds(minValid ?? DefaultMinValid);
            byte[] p = pass = Utf8.Encode(password, "password"); // last: nothing to wipe if one above throws
            try
            {
                MayChange(blocksCaller);
            }
            catch (Exception)
            {
                Utf8.Wipe(p);
                throw;
            }
            return call => RunLogin(call, h => NativeMethods.etna_acquire_token(h, where, user, p, seconds, call.Callback, IntPtr.Zero), p);
        }

        private static uint MinValidSeconds(TimeSpan minValid)
        {
            double s = Math.Ceiling(minValid.TotalSeconds);
            if (s < 0 || s > uint.MaxValue)
                throw new ArgumentOutOfRangeException("minValid");
            return (uint)s;
        }
    }
}
