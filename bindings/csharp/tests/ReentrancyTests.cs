using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// A session touched from inside its own login (issue 27): from a UI thread while LoginAsync's
    /// first exchange is on the network, from a callback, from another thread while the login
    /// waits in its callback. Each must fail at once; none may hang (every wait is bounded).
    /// </summary>
    public static class ReentrancyTests
    {
        private const int Bound = 10000; // ms: far beyond every step here, so a failure is a hang

        [Test]
        public static void TheContextCannotChangeTheSessionWhileLoginAsyncIsOnTheNetwork()
        {
            TheContextIsRefusedDuringTheFirstExchange((s, pin) => s.LoginAsync("u", "p", pin: pin));
        }

        [Test]
        public static void TheContextCannotChangeTheSessionWhileAcquireTokenAsyncIsOnTheNetwork()
        {
            string store = Path.Combine(Path.GetTempPath(), "etna-cs-reentrancy-" + Guid.NewGuid().ToString("N"), "tokens.json");
            try
            {
                TheContextIsRefusedDuringTheFirstExchange((s, pin) => s.AcquireTokenAsync("u", "p", pin: pin, store: store));
            }
            finally
            {
                if (Directory.Exists(Path.GetDirectoryName(store)))
                    Directory.Delete(Path.GetDirectoryName(store), true);
            }
        }

        /// <summary>
        /// A dialog's Cancel button (EndLogin) or a settings change (Timeout, LockTimeout) on the UI thread while
        /// the login's first exchange waits for a slow server: the login would post its PIN
        /// callback to that thread, blocked on the session. Refused at once instead, and the login
        /// goes on, its callback on the UI thread.
        /// </summary>
        private static void TheContextIsRefusedDuringTheFirstExchange(Func<EtnaSession, Func<string, Task<string>>, Task<string>> start)
        {
            using (var server = new ScriptedServer("slow-pin-ok"))
            using (var s = server.StalledSession())
            using (var ui = new SingleThreadContext())
            {
                string refusals = "";
                long slowest = 0;
                int pinThread = -1;
                Task<string> login = ui.Run(async () =>
                {
                    Task<string> inFlight = start(s, r =>
                    {
                        pinThread = Thread.CurrentThread.ManagedThreadId;
                        return Task.FromResult("1234");
                    });
                    while (server.Requests == 0) // the first exchange is on the network (the server waits 700 ms)
                        await Task.Delay(5);
                    Action[] changes = { () => s.EndLogin(), () => s.Timeout = TimeSpan.FromSeconds(5), () => s.LockTimeout = TimeSpan.FromSeconds(5), () => s.SetProxy(null) };
                    foreach (Action change in changes)
                    {
                        var clock = Stopwatch.StartNew();
                        try
                        {
                            change();
                        }
                        catch (InvalidOperationException e)
                        {
                            refusals += e.Message.Contains("Cancel the login instead") ? "refused;" : "other message: " + e.Message;
                        }
                        slowest = Math.Max(slowest, clock.ElapsedMilliseconds);
                    }
                    return await inFlight;
                });
                bool ended = login.Wait(Bound);
                if (!ended)
                    s.Dispose(); // ends the login's wait for its callback, so the UI thread is freed
                Assert.True(ended, "the login ended (no deadlock between the UI thread and the login)");
                Fixtures.AssertToken(login.Result);
                Assert.Equal("refused;refused;refused;refused;", refusals, "EndLogin, Timeout, LockTimeout and SetProxy on the UI thread");
                Assert.Equal(TimeSpan.FromMinutes(2), s.LockTimeout, "LockTimeout unchanged by the refused set");
                // Blocked, a call would wait for the rest of the 700-ms exchange (or, before, for ever).
                Assert.True(slowest < 300, "each refusal came at once: slowest " + slowest + " ms");
                Assert.Equal(ui.ThreadId, pinThread, "the PIN callback ran on the UI thread");
                Assert.Equal(2, server.Requests, "requests");
                s.Timeout = TimeSpan.FromSeconds(5); // from elsewhere, once the login is over
                s.LockTimeout = TimeSpan.FromSeconds(5);
                s.EndLogin();
            }
        }

        [Test]
        public static void AnotherLoginAsyncFromTheContextIsNotRefused()
        {
            // Starting a login never blocks the caller (it waits on its own thread): not refused.
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            using (var ui = new SingleThreadContext())
            {
                Task<string> both = ui.Run(async () =>
                {
                    Task<string> first = s.LoginAsync("alice", "alice-pass");
                    Task<string> second = s.LoginAsync("alice", "alice-pass"); // not refused
                    try
                    {
                        await first;
                    }
                    catch (EtnaStateException)
                    {
                        // The second login may begin (dropping the first's token) before the first reads it.
                    }
                    return await second;
                });
                Assert.True(both.Wait(Bound), "both logins ended");
                Fixtures.AssertToken(both.Result);
            }
        }

        [Test]
        public static void AChangeFromACallbackThrowsAtOnce()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                long took = -1;
                Exception thrown = null;
                Assert.Throws<EtnaCancelledException>(() => s.Login("bob", "bob-pass", pin: r =>
                {
                    var clock = Stopwatch.StartNew();
                    try
                    {
                        s.BeginAuth("alice", "alice-pass");
                    }
                    catch (Exception e)
                    {
                        thrown = e;
                    }
                    took = clock.ElapsedMilliseconds;
                    return null; // gives up
                }));
                Assert.True(thrown is InvalidOperationException, "refused with InvalidOperationException, got " + thrown);
                Assert.True(took < 500, "at once: " + took + " ms");
                LoginPolicyTests.AssertGivenUp(sandbox, s);
            }
        }

        [Test]
        public static void AnotherThreadWhileTheLoginWaitsInItsCallbackFailsAtOnce()
        {
            // A callback that hands the change to another thread and waits for it: the library
            // holds the session during the login, so that thread would wait for the login, which
            // waits for the callback. The library refuses such a call at once (ETNA_ERR_STATE,
            // EtnaStateException), and the login goes on.
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                Exception thrown = null;
                long took = -1;
                bool finished = true;
                Func<string, Task<string>> pin = async r =>
                {
                    var clock = Stopwatch.StartNew();
                    Task change = Task.Run(() => s.EndLogin());
                    finished = await Task.WhenAny(change, Task.Delay(Bound / 2)) == change;
                    took = clock.ElapsedMilliseconds;
                    thrown = finished ? change.Exception == null ? null : change.Exception.InnerException : null;
                    return "1234";
                };
                SynchronizationContext saved = SynchronizationContext.Current;
                SynchronizationContext.SetSynchronizationContext(null); // the callback on the pool
                Task<string> login;
                try
                {
                    login = s.LoginAsync("bob", "bob-pass", pin: pin);
                }
                finally
                {
                    SynchronizationContext.SetSynchronizationContext(saved);
                }
                Assert.True(((IAsyncResult)login).AsyncWaitHandle.WaitOne(Bound), "the login ended");
                Assert.True(finished, "the other thread's EndLogin returned while the login waited (took " + took + " ms)");
                Assert.True(thrown is EtnaStateException, "EtnaStateException, got " + thrown);
                Assert.Equal(EtnaStatus.State, ((EtnaStateException)thrown).Status, "status");
                Assert.True(took < 1000, "at once: " + took + " ms");
                Fixtures.AssertToken(login.Result);
            }
        }
    }
}
