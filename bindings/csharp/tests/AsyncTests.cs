using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth.Tests
{
    /// <summary>LoginAsync: the login policy, cancellation, concurrency, and never blocking the caller or the pool.</summary>
    public static class AsyncTests
    {
        private static Task<string> After(int ms, string value)
        {
            return Task.Delay(ms).ContinueWith(t => value);
        }

        private static void WaitFor(Func<bool> condition, string what)
        {
            var wait = Stopwatch.StartNew();
            while (!condition())
            {
                if (wait.Elapsed.TotalSeconds > 10)
                    throw new AssertionException("timed out waiting for " + what);
                Thread.Sleep(2);
            }
        }

        [Test]
        public static void LoginAsyncFollowsTheLoginPolicy()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                var answers = new LoginPolicyTests.WrongThenRight();
                string token = s.LoginAsync("dave", "dave-pass",
                    pin: r => After(5, answers.Pin(r)), code: r => After(5, answers.Code(r))).GetAwaiter().GetResult();
                Fixtures.AssertToken(token);
                Assert.Equal(token, s.Token, "Token");
                answers.AssertCalls();

                // No value (a null result or a null Task), no callback: abandoned, cancelled, ended.
                Assert.True(Assert.Failure(s.LoginAsync("bob", "bob-pass", pin: r => After(1, null))) is EtnaCancelledException, "null result");
                LoginPolicyTests.AssertGivenUp(sandbox, s);
                Assert.True(Assert.Failure(s.LoginAsync("bob", "bob-pass", pin: r => null)) is EtnaCancelledException, "null Task");
                LoginPolicyTests.AssertGivenUp(sandbox, s);
                var e = Assert.Failure(s.LoginAsync("carol", "carol-pass"));
                Assert.True(e is EtnaCancelledException && e.Message.Contains("verification code"), "no code callback: " + e);
                LoginPolicyTests.AssertGivenUp(sandbox, s);

                // A callback's exception, thrown or in its Task, unchanged.
                var thrown = new InvalidOperationException("dialog failed");
                Assert.True(ReferenceEquals(thrown, Assert.Failure(s.LoginAsync("bob", "bob-pass", pin: r => { throw thrown; }))), "thrown");
                LoginPolicyTests.AssertGivenUp(sandbox, s);
                var faulted = new TaskCompletionSource<string>();
                faulted.SetException(thrown);
                Assert.True(ReferenceEquals(thrown, Assert.Failure(s.LoginAsync("bob", "bob-pass", pin: r => faulted.Task))), "faulted Task");
                LoginPolicyTests.AssertGivenUp(sandbox, s);

                // The library's error with its message.
                var wrong = Assert.Failure(s.LoginAsync("alice", "wrong"));
                Assert.True(wrong is EtnaCredentialsException && !wrong.Message.StartsWith("ETNA_", StringComparison.Ordinal), "credentials: " + wrong);
                LoginPolicyTests.AssertGivenUp(sandbox, s);

                Assert.Throws<ArgumentNullException>(() => s.LoginAsync(null, "p"));
                Assert.Throws<ArgumentNullException>(() => s.LoginAsync("u", null));
            }
        }

        [Test]
        public static void LoginAsyncReturnsAtOnceAndNeverBlocksTheCaller()
        {
            using (var server = new ScriptedServer("stall"))
            using (var s = server.StalledSession())
            using (var cts = new CancellationTokenSource())
            {
                var watch = Stopwatch.StartNew();
                Task<string> task = s.LoginAsync("u", "p", cancellationToken: cts.Token);
                long returned = watch.ElapsedMilliseconds;
                Assert.True(returned < 100, "returned in " + returned + " ms");
                WaitFor(() => server.Requests == 1, "the request");
                Assert.True(!task.IsCompleted, "still waiting for the server");
                cts.Cancel();
                Assert.True(Assert.Failure(task) is OperationCanceledException, "cancelled");
            }
        }

        [Test]
        public static void CancellingTheTokenEndsAStalledExchangeWithin100Ms()
        {
            using (var server = new ScriptedServer("stall-first"))
            using (var s = server.StalledSession())
            using (var cts = new CancellationTokenSource())
            {
                Task<string> task = s.LoginAsync("u", "p", cancellationToken: cts.Token);
                WaitFor(() => server.Requests == 1, "the request");
                Thread.Sleep(50); // well inside the exchange
                var watch = Stopwatch.StartNew();
                cts.Cancel();
                bool ended = ((IAsyncResult)task).AsyncWaitHandle.WaitOne(5000);
                long ms = watch.ElapsedMilliseconds;
                Assert.True(ended, "the task ended");
                Assert.True(ms < 100, "ended " + ms + " ms after the cancel");
                Assert.True(task.IsCanceled, "the Task is cancelled, status " + task.Status);
                var e = Assert.Failure(task) as OperationCanceledException;
                Assert.True(e != null, "OperationCanceledException");
                Assert.True(e.CancellationToken == cts.Token, "it carries the token");
                // The session is usable: the login was ended, no cancel is left over.
                Assert.Throws<EtnaStateException>(() => s.SupplyPin("1"));
                Assert.Equal("tok-abc", s.Login("u", "p"), "a login afterwards");
                Assert.Equal("tok-abc", s.LoginAsync("u", "p").GetAwaiter().GetResult(), "an async login afterwards");
                Assert.Equal(3, server.Requests, "requests");
            }
        }

        [Test]
        public static void CancellingTheTokenWhileACallbackIsPendingEndsAtOnce()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            using (var cts = new CancellationTokenSource())
            {
                var never = new TaskCompletionSource<string>(); // the user never answers
                var asked = new ManualResetEventSlim();
                Task<string> task = s.LoginAsync("carol", "carol-pass", code: r => { asked.Set(); return never.Task; }, cancellationToken: cts.Token);
                Assert.True(asked.Wait(5000), "the code was asked for");
                var watch = Stopwatch.StartNew();
                cts.Cancel();
                Assert.True(((IAsyncResult)task).AsyncWaitHandle.WaitOne(5000), "the task ended");
                Assert.True(watch.ElapsedMilliseconds < 100, "ended " + watch.ElapsedMilliseconds + " ms after the cancel");
                var e = Assert.Failure(task) as OperationCanceledException;
                Assert.True(e != null && e.CancellationToken == cts.Token, "OperationCanceledException with the token, got " + Assert.Failure(task));
                never.SetException(new Exception("answered too late")); // observed, not a crash
                LoginPolicyTests.AssertGivenUp(sandbox, s);
            }
        }

        [Test]
        public static void AnAlreadyCancelledTokenSendsNothing()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                var token = new CancellationToken(true);
                int asked = 0;
                Task<string> task = s.LoginAsync("bob", "bob-pass", pin: r => { asked++; return Task.FromResult("1234"); }, cancellationToken: token);
                Assert.True(task.IsCanceled, "cancelled at once");
                var e = Assert.Failure(task) as OperationCanceledException;
                Assert.True(e != null && e.CancellationToken == token, "OperationCanceledException with the token");
                Thread.Sleep(50);
                Assert.Equal(0L, sandbox.RequestCount, "requests");
                Assert.Equal(0, asked, "callback calls");
                Fixtures.AssertToken(s.Login("alice", "alice-pass")); // no cancel left behind
            }
        }

        [Test]
        public static void TheRegistrationEndsWithTheLogin()
        {
            using (var sandbox = new EtnaSandbox())
            using (var cts = new CancellationTokenSource())
            {
                var s = sandbox.NewSession();
                Fixtures.AssertToken(s.LoginAsync("alice", "alice-pass", cancellationToken: cts.Token).GetAwaiter().GetResult());
                cts.Cancel(); // after the Task: must not reach the session
                Assert.Equal(AuthStep.Done, s.BeginAuth("alice", "alice-pass"), "the next call is not cancelled");
                s.Dispose();
                using (var later = new CancellationTokenSource())
                {
                    var s2 = sandbox.NewSession();
                    s2.LoginAsync("alice", "alice-pass", cancellationToken: later.Token).GetAwaiter().GetResult();
                    s2.Dispose();
                    later.Cancel(); // the session is freed: nothing registered may touch it
                }
            }
        }

        [Test]
        public static void DisposingTheSessionEndsALoginAsyncInFlight()
        {
            using (var server = new ScriptedServer("stall"))
            using (var cts = new CancellationTokenSource())
            {
                var s = server.StalledSession();
                Task<string> task = s.LoginAsync("u", "p", cancellationToken: cts.Token);
                WaitFor(() => server.Requests == 1, "the request");
                s.Dispose();
                Assert.True(((IAsyncResult)task).AsyncWaitHandle.WaitOne(5000), "the task ended");
                Assert.True(Assert.Failure(task) is ObjectDisposedException, "ObjectDisposedException, got " + Assert.Failure(task));
                cts.Cancel(); // after the session is gone: harmless
            }
        }

        [Test]
        public static void TwentyConcurrentLoginAsync()
        {
            using (var sandbox = new EtnaSandbox())
            {
                var sessions = Enumerable.Range(0, 20).Select(i => sandbox.NewSession()).ToList();
                try
                {
                    var tasks = sessions.Select((s, i) =>
                    {
                        switch (i % 4)
                        {
                            case 0: return s.LoginAsync("alice", "alice-pass");
                            case 1: return s.LoginAsync("bob", "bob-pass", pin: r => After(10, "1234"));
                            case 2: return s.LoginAsync("carol", "carol-pass", code: r => After(10, "123456"));
                            default: return s.LoginAsync("dave", "dave-pass", pin: r => After(10, "4321"), code: r => Task.FromResult("654321"));
                        }
                    }).ToArray();
                    Assert.True(Task.WaitAll(tasks, 20000), "all 20 logins ended");
                    string[] tokens = tasks.Select(t => t.Result).ToArray();
                    foreach (string t in tokens)
                        Fixtures.AssertToken(t);
                    Assert.Equal(20, tokens.Distinct().Count(), "distinct tokens");
                    for (int i = 0; i < 20; i++)
                        Assert.Equal(tokens[i], sessions[i].Token, "each session holds its own token");
                }
                finally
                {
                    sessions.ForEach(s => s.Dispose());
                }
            }
        }

        [Test]
        public static void AHeartbeatDoesNotStallWhileLoginsWait()
        {
            // 20 logins blocked on a silent server for a second and a half must not starve the
            // thread pool that timers run on.
            using (var server = new ScriptedServer("stall"))
            using (var cts = new CancellationTokenSource())
            {
                var sessions = Enumerable.Range(0, 20).Select(i => new EtnaSession(server.Url, "k")).ToList();
                long last = 0, worst = 0, ticks = 0;
                var clock = Stopwatch.StartNew();
                var heartbeat = new Timer(_ =>
                {
                    long now = clock.ElapsedMilliseconds;
                    long previous = Interlocked.Exchange(ref last, now);
                    long gap = now - previous;
                    if (gap > Interlocked.Read(ref worst))
                        Interlocked.Exchange(ref worst, gap);
                    Interlocked.Increment(ref ticks);
                }, null, 0, 10);
                try
                {
                    var tasks = sessions.Select(s => s.LoginAsync("u", "p", cancellationToken: cts.Token)).ToArray();
                    WaitFor(() => server.Requests == 20, "20 requests");
                    Thread.Sleep(1500);
                    Assert.True(tasks.All(t => !t.IsCompleted), "the logins still wait");
                    cts.Cancel();
                    foreach (var t in tasks)
                        Assert.True(Assert.Failure(t) is OperationCanceledException, "cancelled");
                }
                finally
                {
                    heartbeat.Dispose();
                    sessions.ForEach(s => s.Dispose());
                }
                Assert.True(Interlocked.Read(ref ticks) > 50, "the heartbeat ticked " + ticks + " times");
                Assert.True(Interlocked.Read(ref worst) < 500, "the longest heartbeat gap was " + worst + " ms");
            }
        }
    }
}
