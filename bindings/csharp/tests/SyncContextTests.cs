using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// LoginAsync where UI code runs it: the callbacks on the caller's SynchronizationContext
    /// (else the thread pool), the exchanges never there, and the context never blocked.
    /// </summary>
    public static class SyncContextTests
    {
        private static int Me
        {
            get { return Thread.CurrentThread.ManagedThreadId; }
        }

        [Test]
        public static void CallbacksRunOnTheCallersContextAndExchangesNever()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            using (var ui = new SingleThreadContext())
            {
                var callbackThreads = new ConcurrentQueue<int>();
                var exchangeThreads = new ConcurrentQueue<int>();
                int slowed = 0;
                // The log runs inside each exchange, on the thread that makes it: the first one
                // is made slow, so that a blocked context would show in the heartbeat.
                s.LogLevel = EtnaLogLevel.Debug;
                s.Log = (level, line) =>
                {
                    exchangeThreads.Enqueue(Me);
                    if (Interlocked.Exchange(ref slowed, 1) == 0)
                        Thread.Sleep(300);
                };
                long worstGap = 0;
                bool loggedIn = false;
                int resumedOn = -1;
                Task<string> login = ui.Run(async () =>
                {
                    Task heartbeat = Heartbeat(() => Volatile.Read(ref loggedIn), gap => worstGap = Math.Max(worstGap, gap));
                    string token = await s.LoginAsync("dave", "dave-pass",
                        pin: r => { callbackThreads.Enqueue(Me); return Task.FromResult("4321"); },
                        code: async r => { callbackThreads.Enqueue(Me); await Task.Delay(20); return "654321"; });
                    resumedOn = Me;
                    Volatile.Write(ref loggedIn, true);
                    await heartbeat;
                    return token;
                });
                Assert.True(login.Wait(20000), "the login ended");
                Fixtures.AssertToken(login.Result);
                Assert.Equal(ui.ThreadId + "," + ui.ThreadId, string.Join(",", callbackThreads), "the callbacks ran on the context's thread");
                Assert.True(exchangeThreads.Count > 0, "the exchanges logged");
                Assert.True(exchangeThreads.All(t => t != ui.ThreadId), "no exchange ran on the context's thread");
                Assert.Equal(ui.ThreadId, resumedOn, "the await resumed on the context");
                Assert.True(worstGap < 200, "the context's heartbeat went on during a 300-ms exchange: worst gap " + worstGap + " ms");
            }
        }

        /// <summary>Ticks every 10 ms on the caller's context until <paramref name="done"/>, reporting each gap.</summary>
        private static async Task Heartbeat(Func<bool> done, Action<long> gap)
        {
            var clock = Stopwatch.StartNew();
            long last = 0;
            while (!done())
            {
                await Task.Delay(10);
                long now = clock.ElapsedMilliseconds;
                gap(now - last);
                last = now;
            }
        }

        [Test]
        public static void WithoutAContextCallbacksRunOnThePoolAndExchangesOnTheirOwnThread()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                var exchangeOnPool = new ConcurrentQueue<bool>();
                s.Log = (level, line) => exchangeOnPool.Enqueue(Thread.CurrentThread.IsThreadPoolThread);
                bool callbackOnPool = false;
                int caller = Me;
                int callbackThread = -1;
                SynchronizationContext saved = SynchronizationContext.Current;
                SynchronizationContext.SetSynchronizationContext(null);
                try
                {
                    Fixtures.AssertToken(s.LoginAsync("bob", "bob-pass", pin: r =>
                    {
                        callbackOnPool = Thread.CurrentThread.IsThreadPoolThread;
                        callbackThread = Me;
                        return Task.FromResult("1234");
                    }).GetAwaiter().GetResult());
                }
                finally
                {
                    SynchronizationContext.SetSynchronizationContext(saved);
                }
                Assert.True(callbackOnPool, "the callback ran on the thread pool");
                Assert.True(callbackThread != caller, "not on the caller's thread");
                Assert.True(exchangeOnPool.Count > 0 && exchangeOnPool.All(onPool => !onPool), "the exchanges ran on a thread of their own, not the pool's");
            }
        }

        [Test]
        public static void CallbacksGetTheTokenAndADialogCanCloseItself()
        {
            DialogClosedByTheToken(slowRegistration: false);
        }

        [Test]
        public static void ADialogThatClosesBeforeTheTokensOtherRegistrationsRunStillCancels()
        {
            // The token runs its registrations one after another, latest first: here the dialog
            // closes 300 ms before the registrations made before the callback (the binding's own)
            // run. Before the fix the login ended Faulted with the dialog's TaskCanceledException.
            DialogClosedByTheToken(slowRegistration: true);
        }

        private static void DialogClosedByTheToken(bool slowRegistration)
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            using (var ui = new SingleThreadContext())
            using (var cts = new CancellationTokenSource())
            {
                var asked = new ManualResetEventSlim();
                CancellationToken given = CancellationToken.None;
                Task<string> dialog = null;
                Task<string> login = ui.Run(() => s.LoginWithCancellableCallbacksAsync("bob", "bob-pass", (reason, token) =>
                {
                    // A dialog that closes itself when the token fires.
                    given = token;
                    var answer = new TaskCompletionSource<string>();
                    if (slowRegistration)
                        token.Register(() => Thread.Sleep(300));
                    token.Register(() => answer.TrySetCanceled());
                    dialog = answer.Task;
                    asked.Set();
                    return answer.Task;
                }, null, cts.Token));
                Assert.True(asked.Wait(5000), "the PIN was asked for");
                Assert.True(given == cts.Token, "the callback got the caller's token");
                cts.Cancel();
                Assert.True(((IAsyncResult)login).AsyncWaitHandle.WaitOne(5000), "the login ended");
                Assert.True(login.IsCanceled, "the login is cancelled, status " + login.Status);
                Assert.True(dialog.IsCanceled, "the dialog closed itself");
                LoginPolicyTests.AssertGivenUp(sandbox, s);
            }
        }

        [Test]
        public static void TheContextCannotChangeTheSessionWhileLoginAsyncWaitsForIt()
        {
            // The login holds the session while it waits for the dialog: a change from the UI
            // thread would wait for the login, which waits for the UI thread. An exception instead.
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            using (var ui = new SingleThreadContext())
            {
                Exception refused = null;
                Task<string> login = ui.Run(() => s.LoginAsync("bob", "bob-pass", pin: async r =>
                {
                    await Task.Yield(); // the rest of the dialog, still on the UI thread
                    try
                    {
                        s.EndLogin();
                    }
                    catch (InvalidOperationException e)
                    {
                        refused = e;
                    }
                    return "1234";
                }));
                Assert.True(login.Wait(10000), "the login ended (no deadlock)");
                Fixtures.AssertToken(login.Result);
                Assert.True(refused != null && refused.Message.Contains("Cancel the login instead"), "EndLogin on the UI thread was refused: " + refused);
                s.EndLogin(); // from elsewhere, once the login is over
            }
        }

        [Test]
        public static void ACallbackThatChangesItsSessionIsRefused()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                // The library holds the session during etna_login: a change would wait for itself.
                var e = Assert.Throws<InvalidOperationException>(() => s.Login("bob", "bob-pass", pin: r => { s.EndLogin(); return "1234"; }));
                Assert.Contains("must not change the session", e.Message);
                LoginPolicyTests.AssertGivenUp(sandbox, s);
                // Reading is fine.
                Fixtures.AssertToken(s.Login("bob", "bob-pass", pin: r => s.ExpiresAt == null ? "1234" : "no"));
            }
        }
    }
}
