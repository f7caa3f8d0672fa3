using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// The synchronous Login and AcquireToken with a CancellationToken, and a login ended by
    /// Dispose (issue 30): OperationCanceledException with the token, ObjectDisposedException, and
    /// a session that is usable afterwards (no cancel left over for its next call).
    /// </summary>
    public static class CancellationTokenTests
    {
        [Test]
        public static void LoginWithACancelledTokenSendsNothing()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                var token = new CancellationToken(true);
                var e = Assert.Throws<OperationCanceledException>(() => s.Login("alice", "alice-pass", cancellationToken: token));
                Assert.True(e.CancellationToken == token, "it carries the token");
                Assert.Throws<OperationCanceledException>(() => s.AcquireToken("alice", "alice-pass", store: Path.Combine(Path.GetTempPath(), "never-made", "t.json"), cancellationToken: token));
                Assert.Equal(0L, sandbox.RequestCount, "requests");
                Fixtures.AssertToken(s.Login("alice", "alice-pass")); // no cancel left behind
            }
        }

        [Test]
        public static void CancellingInterruptsALoginOnTheNetwork()
        {
            using (var server = new ScriptedServer("stall"))
            using (var s = server.StalledSession())
            using (var cts = new CancellationTokenSource())
            {
                Exception thrown = null;
                var login = new Thread(() =>
                {
                    try
                    {
                        s.Login("u", "p", cancellationToken: cts.Token);
                    }
                    catch (Exception e)
                    {
                        thrown = e;
                    }
                });
                login.Start();
                var waited = System.Diagnostics.Stopwatch.StartNew();
                while (server.Requests == 0 && waited.ElapsedMilliseconds < 10000)
                    Thread.Sleep(5);
                Assert.Equal(1, server.Requests, "the request is on the network");
                cts.Cancel();
                Assert.True(login.Join(5000), "the login ended");
                var oce = thrown as OperationCanceledException;
                Assert.True(oce != null && oce.CancellationToken == cts.Token, "OperationCanceledException with the token, got " + thrown);
                Assert.True(oce.InnerException is EtnaCancelledException, "the library's error inside");
            }
        }

        [Test]
        public static void CancellingDuringACallbackEndsTheLoginWhenItReturns()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            using (var cts = new CancellationTokenSource())
            {
                long before = sandbox.RequestCount;
                Assert.Throws<OperationCanceledException>(() => s.Login("bob", "bob-pass", pin: r => { cts.Cancel(); return "1234"; }, cancellationToken: cts.Token));
                Assert.Equal(before + 1, sandbox.RequestCount, "the PIN was not sent");
                LoginPolicyTests.AssertGivenUp(sandbox, s);
            }
        }

        [Test]
        public static void AcquireTokenCancelledWhileItAsksForThePassword()
        {
            string folder = Path.Combine(Path.GetTempPath(), "etna-cs-cancel-" + Guid.NewGuid().ToString("N"));
            string store = Path.Combine(folder, "tokens.json");
            try
            {
                using (var sandbox = new EtnaSandbox())
                using (var s = sandbox.NewSession())
                using (var cts = new CancellationTokenSource())
                {
                    var e = Assert.Throws<OperationCanceledException>(() => s.AcquireTokenWithPasswordPrompt("alice", r => { cts.Cancel(); return "alice-pass"; },
                        store: store, cancellationToken: cts.Token));
                    Assert.True(e.CancellationToken == cts.Token, "it carries the token");
                    Assert.Equal(0L, sandbox.RequestCount, "nothing sent");
                    // Usable, no cancel left over; a stored token only, with a null password.
                    Fixtures.AssertToken(s.AcquireToken("alice", "alice-pass", store: store));
                    Fixtures.AssertToken(s.AcquireToken("alice", null, store: store));
                    Assert.Equal(1L, sandbox.RequestCount, "one login");
                }
            }
            finally
            {
                if (Directory.Exists(folder))
                    Directory.Delete(folder, true);
            }
        }

        [Test]
        public static void DisposingWhileLoginAsyncWaitsForItsCallbackGivesObjectDisposedException()
        {
            using (var sandbox = new EtnaSandbox())
            {
                var s = sandbox.NewSession();
                var asked = new ManualResetEventSlim();
                var never = new TaskCompletionSource<string>();
                Task<string> login = s.LoginAsync("bob", "bob-pass", pin: r => { asked.Set(); return never.Task; });
                Assert.True(asked.Wait(5000), "the PIN was asked for");
                s.Dispose();
                Assert.True(((IAsyncResult)login).AsyncWaitHandle.WaitOne(5000), "the login ended");
                var e = Assert.Failure(login) as ObjectDisposedException;
                Assert.True(e != null, "ObjectDisposedException, got " + Assert.Failure(login));
                Assert.Equal("EtnaSession", e.ObjectName, "ObjectName");
            }
        }
    }
}
