using System;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth
{
    /// <summary>
    /// One <c>etna_login</c> or <c>etna_acquire_token</c> call: the application's pin, code and
    /// password callbacks behind the one native ask callback (<see cref="Callback"/>, kept alive by this object for the call). The policy
    /// (when to ask, giving up, every message) is the library's; this class only asks and writes
    /// the answer into the library's buffer.
    /// </summary>
    /// <remarks>
    /// <para>Synchronous (<see cref="EtnaSession.Login"/>): the callbacks run on the thread that
    /// called <c>etna_login</c>. Asynchronous (<see cref="EtnaSession.LoginWithCancellableCallbacksAsync"/>):
    /// <c>etna_login</c> runs on a worker thread, which posts each callback to the caller's
    /// <see cref="SynchronizationContext"/> (the thread pool without one) and waits for its Task,
    /// or for the cancellation token or the session's disposal.</para>
    /// <para>Nothing may unwind into the native library (on CoreCLR an exception crossing a native
    /// frame ends the process): a callback's exception is kept, the callback gives up (the library
    /// ends the login), and <see cref="RethrowCallbackException"/> throws it, unchanged, once
    /// <c>etna_login</c> has returned.</para>
    /// </remarks>
    internal sealed class LoginCall : IDisposable
    {
        private static readonly Task<string> NoAnswer = Task.FromResult<string>(null);

        // The login whose callback is running on this thread, if any: the callback must not change
        // the session (the native library holds the session's lock for the whole etna_login).
        [ThreadStatic]
        private static LoginCall running;

        private readonly EtnaSession session;
        private readonly Func<string, CancellationToken, Task<string>> pin;
        private readonly Func<string, CancellationToken, Task<string>> code;
        private readonly Func<string, CancellationToken, Task<string>> password; // etna_acquire_token's ETNA_NEED_PASSWORD
        private readonly bool inline;
        private readonly SynchronizationContext context;
        private readonly int callerThread; // the thread that made an asynchronous call (see PostsToThisThread)
        private readonly CancellationTokenSource stopWaiting; // the caller's token or the session's disposal
        private readonly CancellationToken sessionDisposed;
        private ExceptionDispatchInfo thrown;

        /// <summary>
        /// A synchronous login's callbacks, run on the thread that calls <c>etna_login</c>;
        /// <paramref name="cancellationToken"/> cancels the login (<see cref="EtnaSession"/>'s RunLogin).
        /// </summary>
        internal LoginCall(EtnaSession session, Func<string, string> pin, Func<string, string> code, Func<string, string> password,
            CancellationToken cancellationToken)
        {
            this.session = session;
            this.pin = Completed(pin);
            this.code = Completed(code);
            this.password = Completed(password);
            inline = true;
            CancellationToken = cancellationToken;
            Callback = Ask;
        }

        /// <summary>
        /// An asynchronous login's callbacks, posted to <paramref name="context"/> (null: the thread
        /// pool); waiting for one ends when <paramref name="cancellationToken"/> or
        /// <paramref name="disposed"/> is cancelled.
        /// </summary>
        internal LoginCall(EtnaSession session, Func<string, CancellationToken, Task<string>> pin, Func<string, CancellationToken, Task<string>> code,
            Func<string, CancellationToken, Task<string>> password, SynchronizationContext context, CancellationToken cancellationToken, CancellationToken disposed)
        {
            this.session = session;
            this.pin = pin;
            this.code = code;
            this.password = password;
            this.context = context;
            callerThread = Thread.CurrentThread.ManagedThreadId;
            CancellationToken = cancellationToken;
            sessionDisposed = disposed;
            stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, disposed);
            Callback = Ask;
        }

        /// <summary>The delegate given to <c>etna_login</c>.</summary>
        internal NativeMethods.EtnaAskCallback Callback { get; private set; }

        /// <summary>The caller's token, handed to the callbacks.</summary>
        internal CancellationToken CancellationToken { get; private set; }

        /// <summary>
        /// Whether a callback of a login on <paramref name="session"/> runs on this thread: a call
        /// that changes the session would wait for itself (the library holds the session meanwhile).
        /// </summary>
        internal static bool CallbackRunsHere(EtnaSession session)
        {
            LoginCall call = running;
            return call != null && ReferenceEquals(call.session, session);
        }

        /// <summary>
        /// Whether this asynchronous call posts its callbacks to this thread's
        /// SynchronizationContext (e.g. a UI thread), which must then not block on the session.
        /// The same context object, or (as a WPF dispatcher hands out a new one per operation)
        /// one of the same type on the thread that made the call.
        /// </summary>
        internal bool PostsToThisThread()
        {
            SynchronizationContext current = SynchronizationContext.Current;
            if (context == null || current == null)
                return false; // the thread pool: a blocked thread does not stop the callbacks
            return ReferenceEquals(current, context)
                || (current.GetType() == context.GetType() && Thread.CurrentThread.ManagedThreadId == callerThread);
        }

        /// <summary>
        /// The caller's SynchronizationContext, as <c>await</c> would capture it; null (the thread
        /// pool) when there is none or it is the default one, which posts to the pool anyway.
        /// </summary>
        internal static SynchronizationContext CallersContext()
        {
            SynchronizationContext current = SynchronizationContext.Current;
            return current == null || current.GetType() == typeof(SynchronizationContext) ? null : current;
        }

        /// <summary>Throws the exception a callback threw, unchanged, if one did.</summary>
        internal void RethrowCallbackException()
        {
            if (thrown != null)
                thrown.Throw();
        }

        public void Dispose()
        {
            if (stopWaiting != null)
                stopWaiting.Dispose();
        }

        private static Func<string, CancellationToken, Task<string>> Completed(Func<string, string> callback)
        {
            if (callback == null)
                return null;
            return (reason, token) => Task.FromResult(callback(reason));
        }

        /// <summary>The native ask callback (etna_auth.h's <c>EtnaAskCallback</c>): 0 with the answer written, else give up.</summary>
        private int Ask(IntPtr userData, int step, IntPtr reason, IntPtr answer, UIntPtr answerSize)
        {
            try
            {
                Func<string, CancellationToken, Task<string>> callback;
                string name;
                switch (step)
                {
                    case (int)EtnaStatus.NeedPin: callback = pin; name = "pin"; break;
                    case (int)EtnaStatus.NeedCode: callback = code; name = "code"; break;
                    case (int)EtnaStatus.NeedPassword: callback = password; name = "password"; break;
                    default: return 1; // a step this binding does not know: given up
                }
                if (callback == null)
                    return 1; // no callback for this factor: given up, and the library names the factor
                string why = Utf8.Decode(reason); // copied now: valid only during this call
                string value = inline ? Call(callback, why).GetAwaiter().GetResult() : Wait(Post(callback, why));
                if (value == null)
                    return 1;
                Utf8.WriteAnswer(value, name, answer, answerSize);
                return 0;
            }
            catch (Exception e)
            {
                if (thrown == null)
                    thrown = ExceptionDispatchInfo.Capture(e);
                return 1;
            }
        }

        /// <summary>Calls a callback on this thread, marked as running for <see cref="CallbackRunsHere"/>.</summary>
        private Task<string> Call(Func<string, CancellationToken, Task<string>> callback, string reason)
        {
            LoginCall outer = running;
            running = this;
            try
            {
                return callback(reason, CancellationToken) ?? NoAnswer; // no Task: no value
            }
            finally
            {
                running = outer;
            }
        }

        /// <summary>Calls a callback on the caller's context (or the thread pool); its Task, or its exception in the Task.</summary>
        private Task<string> Post(Func<string, CancellationToken, Task<string>> callback, string reason)
        {
            var called = new TaskCompletionSource<Task<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
            SendOrPostCallback run = state =>
            {
                try
                {
                    called.TrySetResult(Call(callback, reason));
                }
                catch (Exception e)
                {
                    called.TrySetException(e);
                }
            };
            if (context != null)
                context.Post(run, null);
            else
                ThreadPool.QueueUserWorkItem(state => run(null));
            return called.Task.Unwrap();
        }

        /// <summary>
        /// Waits (on the worker thread) for a callback's answer; null, giving up, once the caller's
        /// token is cancelled or the session disposed: a prompt the user never answers must not
        /// hold up the cancellation.
        /// </summary>
        private string Wait(Task<string> answer)
        {
            try
            {
                answer.Wait(stopWaiting.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopped waiting: cancelled or disposed (the answer is dropped unless it came).
            }
            catch (AggregateException)
            {
                // Faulted or cancelled: GetResult below throws the callback's own exception.
            }
            // The two tokens themselves, not the linked source: a dialog that closes itself on the
            // token does so in a registration that can run before the linked source's own.
            bool stopped = CancellationToken.IsCancellationRequested || sessionDisposed.IsCancellationRequested;
            if (stopped && answer.Status != TaskStatus.RanToCompletion)
            {
                // Also a dialog that closed itself because the token fired: the login is cancelled.
                Observe(answer);
                return null;
            }
            return answer.GetAwaiter().GetResult();
        }

        /// <summary>Observes an abandoned task's failure, so that it never surfaces as an unobserved task exception.</summary>
        private static void Observe(Task abandoned)
        {
            abandoned.ContinueWith(t => { var ignored = t.Exception; }, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
