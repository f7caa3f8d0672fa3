using System;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth
{
    // The whole login in one call: the library's etna_login, which holds the one login policy
    // (docs/login-policy.md); this binding only hands it the callbacks (LoginCall).
    public sealed partial class EtnaSession
    {
        /// <summary>
        /// Logs in: the user name and password, then each second factor the server asks for, and
        /// returns the token (the library's login policy, <c>etna_login</c>, shared with every front end).
        /// </summary>
        /// <remarks>
        /// <para><paramref name="pin"/> / <paramref name="code"/> are called on this thread each time
        /// the server asks for that factor, with the server's Reason (e.g. "Expecting security pin"
        /// the first time, "Invalid pin" after a wrong answer), and return the value. The server's
        /// attempt limit ends a login whose callback keeps answering wrong
        /// (<see cref="EtnaRejectedException"/>). A callback must not change this session (the
        /// library holds it during the login): such calls throw <see cref="InvalidOperationException"/>;
        /// reading <see cref="Token"/> or calling <see cref="Cancel"/> is fine.</para>
        /// <para>Whenever the login gives up (a factor asked for without a callback, a callback
        /// that returns null or throws, an error from the library, a <see cref="Cancel"/>), the
        /// library has ended the login before this returns: the native session holds no
        /// credentials, <see cref="SupplyPin"/> / <see cref="SupplyCode"/> throw
        /// <see cref="EtnaStateException"/> without sending anything, and the session is ready for
        /// the next login.</para>
        /// </remarks>
        /// <param name="username">The user name, sent as UTF-8.</param>
        /// <param name="password">The password, sent as UTF-8.</param>
        /// <param name="pin">Gives the security PIN when the server asks for it; null if none is expected.</param>
        /// <param name="code">Gives the verification code (email or SMS) when the server asks for it; null if none is expected.</param>
        /// <param name="cancellationToken">Cancels the login: the exchange in flight is interrupted at
        /// once (<c>etna_cancel</c>); a callback running then is not interrupted, the login ends
        /// when it returns. A token already cancelled sends nothing.</param>
        /// <returns>The session token (also in <see cref="Token"/>).</returns>
        /// <exception cref="ArgumentNullException"><paramref name="username"/> or <paramref name="password"/> is null (nothing is sent).</exception>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (it carries the token); the login is ended.</exception>
        /// <exception cref="ObjectDisposedException">The session was disposed, also during the login (which <see cref="Dispose"/> cancels).</exception>
        /// <exception cref="InvalidOperationException">Called from a login callback or <see cref="Log"/> handler of this
        /// session, or on the <see cref="SynchronizationContext"/> of this session's LoginAsync or AcquireTokenAsync in
        /// flight (it would wait for a login that waits for that context): nothing is sent.</exception>
        /// <exception cref="EtnaCancelledException">The server asked for a factor without a callback, a
        /// callback returned null, or the login was cancelled (<see cref="Cancel"/>).</exception>
        /// <exception cref="EtnaException">The subclass for the library's error, with its message verbatim.</exception>
        /// <exception cref="Exception">Whatever a callback threw, unchanged (an answer with a NUL
        /// character: <see cref="ArgumentException"/>).</exception>
        public string Login(string username, string password, Func<string, string> pin = null, Func<string, string> code = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] user, pass;
            BeginLoginArguments(username, password, true, out user, out pass);
            ThrowIfCancelled(cancellationToken, pass);
            var call = new LoginCall(this, pin, code, null, cancellationToken);
            return RunLogin(call, h => NativeMethods.etna_login(h, user, pass, call.Callback, IntPtr.Zero), pass);
        }

        /// <summary>
        /// Logs in without blocking the caller: the same policy as <see cref="Login"/>, with
        /// asynchronous callbacks (e.g. a dialog that completes a Task) and cancellation.
        /// </summary>
        /// <remarks>
        /// <para>Returns a Task at once. The login (<c>etna_login</c>, its blocking exchanges with
        /// the server) runs on a thread of its own, never the caller's, nor the thread pool, which
        /// it would starve. The callbacks run where <c>await</c> would resume: on the caller's
        /// <see cref="SynchronizationContext"/> when there is one (a WPF or WinForms UI thread,
        /// which can show a dialog), else on the thread pool; the login thread waits for their
        /// Task meanwhile. Do not block the caller's context on the Task (<c>.Result</c>): the
        /// callbacks could never run.</para>
        /// <para>The login holds the session until the Task completes (one <c>etna_login</c>): a call
        /// that changes the session would wait for it. So, from the moment this is called until the
        /// Task completes, on the caller's context (e.g. <see cref="EndLogin"/> from a dialog's
        /// Cancel button, setting <see cref="Timeout"/>), calls that change the session throw
        /// <see cref="InvalidOperationException"/> at once, changing nothing, instead of blocking
        /// the context that the login will post its callback to: cancel the token (or
        /// <see cref="Cancel"/>) instead. Reading <see cref="Token"/>, <see cref="ExpiresAt"/> or
        /// <see cref="Reason"/>, <see cref="Cancel"/>, <see cref="Dispose"/> and starting another
        /// LoginAsync are fine. Another thread that changes the session waits for the login to
        /// end; while the login waits for a callback, the library refuses such a call at once
        /// (<see cref="EtnaStateException"/>).</para>
        /// <para>Cancelling <paramref name="cancellationToken"/> interrupts the exchange in flight at
        /// once (<c>etna_cancel</c>), or stops waiting for a callback's answer; the login is ended and
        /// the Task ends with <see cref="OperationCanceledException"/> carrying the token. The
        /// session stays usable. A token already cancelled gives a cancelled Task without sending
        /// anything or touching the session. The token's registration is disposed before the Task
        /// completes, so a later cancellation never reaches the session (which may be disposed by
        /// then). <see cref="Dispose"/> ends the login likewise, with <see cref="ObjectDisposedException"/>.</para>
        /// <para>Callbacks that also receive the token: <see cref="LoginWithCancellableCallbacksAsync"/>.</para>
        /// </remarks>
        /// <param name="username">The user name, sent as UTF-8.</param>
        /// <param name="password">The password, sent as UTF-8.</param>
        /// <param name="pin">Gives the security PIN when the server asks for it (a null Task or a null result gives up); null if none is expected.</param>
        /// <param name="code">Gives the verification code when the server asks for it (likewise); null if none is expected.</param>
        /// <param name="cancellationToken">Cancels the login.</param>
        /// <returns>The session token.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="username"/> or <paramref name="password"/> is null (thrown at once, nothing sent).</exception>
        /// <exception cref="OperationCanceledException">(In the Task.) <paramref name="cancellationToken"/> was cancelled.</exception>
        /// <exception cref="ObjectDisposedException">(In the Task.) The session was disposed during the login.</exception>
        /// <exception cref="EtnaException">(In the Task.) As for <see cref="Login"/>.</exception>
        public Task<string> LoginAsync(string username, string password, Func<string, Task<string>> pin = null, Func<string, Task<string>> code = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return LoginWithCancellableCallbacksAsync(username, password, IgnoringToken(pin), IgnoringToken(code), cancellationToken);
        }

        /// <summary>
        /// <see cref="LoginAsync"/> with callbacks that also receive the
        /// <paramref name="cancellationToken"/> (so that a dialog can close itself when it fires).
        /// </summary>
        /// <remarks>Everything else as for <see cref="LoginAsync"/>. (A name of its own, not a LoginAsync
        /// overload: with both, a call that passes null for the callbacks would be ambiguous.)</remarks>
        /// <param name="username">The user name, sent as UTF-8.</param>
        /// <param name="password">The password, sent as UTF-8.</param>
        /// <param name="pin">Gives the security PIN when the server asks for it (a null Task or a null result gives up); null if none is expected.</param>
        /// <param name="code">Gives the verification code when the server asks for it (likewise); null if none is expected.</param>
        /// <param name="cancellationToken">Cancels the login; handed to the callbacks.</param>
        /// <returns>The session token.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="username"/> or <paramref name="password"/> is null (thrown at once, nothing sent).</exception>
        /// <exception cref="OperationCanceledException">(In the Task.) <paramref name="cancellationToken"/> was cancelled.</exception>
        /// <exception cref="ObjectDisposedException">(In the Task.) The session was disposed during the login.</exception>
        /// <exception cref="EtnaException">(In the Task.) As for <see cref="Login"/>.</exception>
        public Task<string> LoginWithCancellableCallbacksAsync(string username, string password, Func<string, CancellationToken, Task<string>> pin = null,
            Func<string, CancellationToken, Task<string>> code = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] user, pass;
            BeginLoginArguments(username, password, false, out user, out pass);
            if (cancellationToken.IsCancellationRequested)
            {
                Utf8.Wipe(pass);
                return Task.FromCanceled<string>(cancellationToken);
            }
            var call = new LoginCall(this, pin, code, null, LoginCall.CallersContext(), cancellationToken, disposing.Token);
            return OnLoginThread(call, () => RunLogin(call, h => NativeMethods.etna_login(h, user, pass, call.Callback, IntPtr.Zero), pass));
        }

        /// <summary>Throws <see cref="OperationCanceledException"/> for a token already cancelled, sending nothing; <paramref name="pass"/> is wiped then.</summary>
        private static void ThrowIfCancelled(CancellationToken cancellationToken, byte[] pass)
        {
            if (!cancellationToken.IsCancellationRequested)
                return;
            Utf8.Wipe(pass);
            throw new OperationCanceledException(cancellationToken);
        }

        /// <summary>
        /// Runs <paramref name="login"/> (one native login call with <paramref name="call"/>'s
        /// callbacks, <see cref="RunLogin"/>) on a thread of its own; its Task, cancelled with the
        /// call's token when that token cancelled it. From now until the Task completes, the
        /// call's context may not change the session (<see cref="Changing"/>).
        /// </summary>
        private Task<string> OnLoginThread(LoginCall call, Func<string> login)
        {
            CancellationToken cancellationToken = call.CancellationToken;
            // The Task completes through this source, so that a cancellation carries the caller's
            // token and no continuation of the caller's runs inline on the login thread.
            var result = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            asyncLogins.Add(call);
            Task.Factory.StartNew(() =>
            {
                try
                {
                    string token;
                    try
                    {
                        token = login();
                    }
                    finally
                    {
                        asyncLogins.Remove(call); // before the caller's context can resume
                    }
                    result.TrySetResult(token);
                }
                catch (OperationCanceledException e)
                {
                    if (e.CancellationToken == cancellationToken && cancellationToken.IsCancellationRequested)
                        result.TrySetCanceled(cancellationToken);
                    else
                        result.TrySetException(e);
                }
                catch (Exception e)
                {
                    result.TrySetException(e);
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            return result.Task;
        }

        /// <summary>
        /// Gives up the login that waits for a PIN or code, for code that drives the steps itself
        /// (<see cref="BeginAuth"/>, <see cref="SupplyPin"/>): the login is ended and the outcome is
        /// the one <see cref="Login"/> gives when a callback returns null, with the same message
        /// (<c>etna_abandon_login</c>). Never uses the network.
        /// </summary>
        /// <exception cref="EtnaCancelledException">Always, when a login waited for a factor: it names the factor.</exception>
        /// <exception cref="EtnaStateException">No login waits for a factor; nothing changed.</exception>
        public void AbandonLogin()
        {
            int status = NativeMethods.etna_abandon_login(Changing());
            if (status == (int)EtnaStatus.Cancelled)
                reason = string.Empty;
            Ensure.Success(status);
        }

        /// <summary>
        /// The credentials as UTF-8 (null or NUL-containing arguments are refused before anything
        /// else), once the session may change; the password bytes are wiped if it may not.
        /// </summary>
        private void BeginLoginArguments(string username, string password, bool blocksCaller, out byte[] user, out byte[] pass)
        {
            user = Utf8.EncodeRequired(username, "username");
            pass = Utf8.EncodeRequired(password, "password");
            try
            {
                MayChange(blocksCaller);
            }
            catch (Exception)
            {
                Utf8.Wipe(pass);
                throw;
            }
        }

        private static Func<string, CancellationToken, Task<string>> IgnoringToken(Func<string, Task<string>> callback)
        {
            if (callback == null)
                return null;
            return (reason, token) => callback(reason);
        }

        /// <summary>
        /// One native login call (<c>etna_login</c>, <c>etna_acquire_token</c>) on this thread, with
        /// <paramref name="call"/>'s callback, and its outcome: the token, a callback's exception
        /// unchanged, <see cref="OperationCanceledException"/> for the caller's token, or the
        /// library's error. <paramref name="pass"/> (may be null) is wiped when it returns.
        /// </summary>
        private string RunLogin(LoginCall call, Func<EtnaSessionHandle, int> native, byte[] pass)
        {
            // The registration's etna_cancel, and the end of the native call, in one order that
            // both sides agree on: NotYet -> Issuing -> Issued (the registration cancelled), or
            // NotYet -> Closed (the call returned first: the registration does nothing).
            int cancel = CancelNotYet;
            var registration = default(CancellationTokenRegistration);
            CancellationToken token = call.CancellationToken;
            try
            {
                if (token.CanBeCanceled)
                {
                    registration = token.Register(() =>
                    {
                        if (Interlocked.CompareExchange(ref cancel, CancelIssuing, CancelNotYet) != CancelNotYet)
                            return;
                        CancelQuietly();
                        Volatile.Write(ref cancel, CancelIssued);
                    });
                }
                int status = Exchange(native);
                string message = status < 0 ? NativeMethods.LastError() : null; // this thread's, read first
                GC.KeepAlive(call); // the delegate the library called
                registration.Dispose();
                // An etna_cancel that came after the call returned would stop the session's next
                // call: none comes after this point, and one that came is dropped below (EndLogin).
                bool cancelled = Interlocked.CompareExchange(ref cancel, CancelClosed, CancelNotYet) != CancelNotYet;
                if (cancelled)
                {
                    SpinWait.SpinUntil(() => Volatile.Read(ref cancel) == CancelIssued);
                    EndLoginQuietly(); // the login is over either way; EndLogin drops the unused cancel
                }
                reason = string.Empty;
                call.RethrowCallbackException(); // the library has ended the login
                if (status < 0)
                {
                    EtnaException error = Ensure.ErrorFor(status, message);
                    if (status == (int)EtnaStatus.Cancelled && token.IsCancellationRequested)
                        throw new OperationCanceledException(message, error, token);
                    if (status == (int)EtnaStatus.Cancelled && Volatile.Read(ref disposed) != 0)
                        throw new ObjectDisposedException(GetType().Name, "The session was disposed during the login, which ended it.");
                    throw error;
                }
                if (cancelled)
                {
                    // Cancelled after the last exchange: the login is cancelled after all.
                    throw new OperationCanceledException(token);
                }
                return Token; // never waits for another thread's exchange
            }
            finally
            {
                registration.Dispose(); // idempotent; before the Task completes, so never after the caller's Dispose
                Utf8.Wipe(pass);
                call.Dispose();
            }
        }

        private const int CancelNotYet = 0, CancelIssuing = 1, CancelIssued = 2, CancelClosed = 3;

        /// <summary>etna_cancel for a registration's callback: it must never throw into the code that cancelled the token.</summary>
        private void CancelQuietly()
        {
            try
            {
                NativeMethods.etna_cancel(handle);
            }
            catch (ObjectDisposedException)
            {
                // Freed meanwhile: nothing is left to cancel.
            }
        }

        /// <summary>
        /// EndLogin when a login gives up; it must not hide the exception that made it give up (a
        /// session disposed meanwhile throws ObjectDisposedException here, and then holds nothing).
        /// </summary>
        private void EndLoginQuietly()
        {
            try
            {
                EndLogin();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
