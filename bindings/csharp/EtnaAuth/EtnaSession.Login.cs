using System;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth
{
    // The whole login in one call: docs/login-policy.md, written once (RunLogin) for Login and
    // LoginAsync.
    public sealed partial class EtnaSession
    {
        /// <summary>
        /// Logs in: the user name and password, then each second factor the server asks for, and
        /// returns the token (the policy of docs/login-policy.md, shared with every front end).
        /// </summary>
        /// <remarks>
        /// <para><paramref name="pin"/> / <paramref name="code"/> are called each time the server
        /// asks for that factor, with the server's Reason (e.g. "Expecting security pin" the first
        /// time, "Invalid pin" after a wrong answer), and return the value. The server's attempt limit
        /// ends a login whose callback keeps answering wrong (<see cref="EtnaRejectedException"/>).</para>
        /// <para>Whenever the login gives up (a factor asked for without a callback, a callback
        /// that returns null or throws, an error from the library, a <see cref="Cancel"/>), the
        /// login is ended first (<see cref="EndLogin"/>): the native session holds no credentials,
        /// <see cref="SupplyPin"/> / <see cref="SupplyCode"/> throw <see cref="EtnaStateException"/>
        /// without sending anything, and the session is ready for the next login.</para>
        /// </remarks>
        /// <param name="username">The user name, sent as UTF-8.</param>
        /// <param name="password">The password, sent as UTF-8.</param>
        /// <param name="pin">Gives the security PIN when the server asks for it; null if none is expected.</param>
        /// <param name="code">Gives the verification code (email or SMS) when the server asks for it; null if none is expected.</param>
        /// <returns>The session token (also in <see cref="Token"/>).</returns>
        /// <exception cref="ArgumentNullException"><paramref name="username"/> or <paramref name="password"/> is null (nothing is sent).</exception>
        /// <exception cref="EtnaCancelledException">The server asked for a factor without a callback, a
        /// callback returned null, or the login was cancelled (<see cref="Cancel"/>, <see cref="Dispose"/>).</exception>
        /// <exception cref="EtnaException">The subclass for the library's error, with its message verbatim.</exception>
        /// <exception cref="Exception">Whatever a callback threw, unchanged.</exception>
        public string Login(string username, string password, Func<string, string> pin = null, Func<string, string> code = null)
        {
            byte[] user, pass;
            BeginLoginArguments(username, password, out user, out pass);
            // The same method as LoginAsync, run with the native calls on this thread and callbacks
            // whose tasks are complete when they return: every await finds its task done, so the whole
            // login runs here, synchronously, and GetResult rethrows the original exception (no
            // AggregateException).
            return RunLogin(user, pass, Synchronous(pin), Synchronous(code), false, CancellationToken.None).GetAwaiter().GetResult();
        }

        /// <summary>
        /// The credentials as UTF-8 (null or NUL-containing arguments are refused before anything
        /// else), once the session may change; the password bytes are wiped if it may not.
        /// </summary>
        private void BeginLoginArguments(string username, string password, out byte[] user, out byte[] pass)
        {
            user = Utf8.EncodeRequired(username, "username");
            pass = Utf8.EncodeRequired(password, "password");
            try
            {
                Changing();
            }
            catch (Exception)
            {
                Utf8.Wipe(pass);
                throw;
            }
        }

        /// <summary>
        /// Logs in without blocking the caller: the same policy as <see cref="Login"/>, with
        /// asynchronous callbacks (e.g. a dialog that completes a Task) and cancellation.
        /// </summary>
        /// <remarks>
        /// <para>Returns a Task at once; the blocking exchanges with the server run on a thread of
        /// their own each (never the caller's, nor the thread pool, which they would starve), and
        /// the callbacks are called on such a thread or where the previous callback's Task completed
        /// (there is no synchronization context to return to).</para>
        /// <para>Cancelling <paramref name="cancellationToken"/> interrupts the exchange in flight at
        /// once (<c>etna_cancel</c>), or stops waiting for a callback's answer; the login is ended and
        /// the Task ends with <see cref="OperationCanceledException"/> carrying the token. The
        /// session stays usable. A token already cancelled gives a cancelled Task without sending
        /// anything or touching the session. The token's registration is disposed before the Task
        /// completes, so a later cancellation never reaches the session (which may be disposed by
        /// then).</para>
        /// </remarks>
        /// <param name="username">The user name, sent as UTF-8.</param>
        /// <param name="password">The password, sent as UTF-8.</param>
        /// <param name="pin">Gives the security PIN when the server asks for it (a null Task or a null result gives up); null if none is expected.</param>
        /// <param name="code">Gives the verification code when the server asks for it (likewise); null if none is expected.</param>
        /// <param name="cancellationToken">Cancels the login.</param>
        /// <returns>The session token.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="username"/> or <paramref name="password"/> is null (thrown at once, nothing sent).</exception>
        /// <exception cref="OperationCanceledException">(In the Task.) <paramref name="cancellationToken"/> was cancelled.</exception>
        /// <exception cref="EtnaException">(In the Task.) As for <see cref="Login"/>.</exception>
        public Task<string> LoginAsync(string username, string password, Func<string, Task<string>> pin = null, Func<string, Task<string>> code = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] user, pass;
            BeginLoginArguments(username, password, out user, out pass);
            if (cancellationToken.IsCancellationRequested)
            {
                Utf8.Wipe(pass);
                return Task.FromCanceled<string>(cancellationToken);
            }
            return RunLogin(user, pass, pin, code, true, cancellationToken);
        }

        private static Func<string, Task<string>> Synchronous(Func<string, string> callback)
        {
            if (callback == null)
                return null;
            return reason => Task.FromResult(callback(reason));
        }

        /// <summary>
        /// The login policy (docs/login-policy.md). <paramref name="pass"/> is wiped when it
        /// returns. With <paramref name="offThread"/> every native exchange runs on a thread of its
        /// own, never the caller's; without it (and with callbacks that complete at once) the
        /// whole method runs synchronously on the caller's thread.
        /// </summary>
        private async Task<string> RunLogin(byte[] user, byte[] pass, Func<string, Task<string>> pin, Func<string, Task<string>> code,
            bool offThread, CancellationToken cancellationToken)
        {
            // Set by the registration's callback once it has called etna_cancel.
            int cancelIssued = 0;
            var registration = default(CancellationTokenRegistration);
            try
            {
                if (cancellationToken.CanBeCanceled)
                {
                    registration = cancellationToken.Register(() =>
                    {
                        Volatile.Write(ref cancelIssued, 1);
                        CancelQuietly();
                    });
                }
                Progress now = offThread
                    ? await OffThread(() => Begin(user, pass)).ConfigureAwait(false)
                    : Begin(user, pass);
                while (now.Step != AuthStep.Done)
                {
                    AuthStep factor = now.Step;
                    bool isPin = factor == AuthStep.NeedPin;
                    Func<string, Task<string>> callback = isPin ? pin : code;
                    string name = isPin ? "pin" : "code";
                    string noun = isPin ? "security PIN" : "verification code";
                    if (callback == null)
                        throw new EtnaCancelledException("the login was abandoned: the server asks for the " + noun + ", and no " + name + " callback was given");
                    string value = await Ask(callback, now.Reason, cancellationToken).ConfigureAwait(false);
                    if (value == null)
                        throw new EtnaCancelledException("the login was abandoned: the " + name + " callback gave no " + noun);
                    byte[] bytes = Utf8.EncodeRequired(value, name);
                    try
                    {
                        now = offThread
                            ? await OffThread(() => Supply(factor, bytes)).ConfigureAwait(false)
                            : Supply(factor, bytes);
                    }
                    finally
                    {
                        Utf8.Wipe(bytes);
                    }
                }
                string token = Token; // never waits for another thread's exchange: no need to leave this thread
                // No etna_cancel from the registration may come after this point (it would stop the
                // session's next call). One that came after the last exchange is unused: the login is
                // cancelled after all, and EndLogin below drops it.
                registration.Dispose();
                if (Volatile.Read(ref cancelIssued) != 0)
                    throw new OperationCanceledException(cancellationToken);
                return token;
            }
            catch (Exception e)
            {
                registration.Dispose(); // first, so that EndLogin drops any cancel it has issued
                EndLoginQuietly();
                if (cancellationToken.IsCancellationRequested && e is EtnaCancelledException)
                    throw new OperationCanceledException(e.Message, e, cancellationToken);
                throw;
            }
            finally
            {
                registration.Dispose(); // idempotent; before the Task completes, so never after the caller's Dispose
                Utf8.Wipe(pass);
            }
        }

        /// <summary>
        /// Calls a factor callback; with a cancellable token, stops waiting for its answer once the
        /// token is cancelled (a prompt the user never answers must not hold the cancellation up).
        /// </summary>
        private static async Task<string> Ask(Func<string, Task<string>> callback, string reason, CancellationToken cancellationToken)
        {
            Task<string> answer = callback(reason);
            if (answer == null)
                return null; // a callback that gives no Task gives no value
            if (!cancellationToken.CanBeCanceled || answer.IsCompleted)
                return await answer.ConfigureAwait(false);
            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
            {
                if (await Task.WhenAny(answer, cancelled.Task).ConfigureAwait(false) != answer)
                {
                    Observe(answer);
                    throw new OperationCanceledException(cancellationToken);
                }
            }
            return await answer.ConfigureAwait(false);
        }

        /// <summary>Observes an abandoned task's failure, so that it never surfaces as an unobserved task exception.</summary>
        private static void Observe(Task abandoned)
        {
            abandoned.ContinueWith(t => { var ignored = t.Exception; }, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        /// <summary>
        /// Runs a blocking native exchange on a dedicated thread (LongRunning), not the thread pool:
        /// exchanges wait on the network for up to <see cref="Timeout"/>, and many of them must not
        /// starve the pool that timers and the application's own tasks run on.
        /// </summary>
        private static Task<T> OffThread<T>(Func<T> call)
        {
            return Task.Factory.StartNew(call, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        /// <summary>etna_cancel for a registration's callback: it must never throw into the code that cancelled the token.</summary>
        private void CancelQuietly()
        {
            try
            {
                NativeMethods.etna_cancel(handle);
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile: Dispose has cancelled what was in flight itself.
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
