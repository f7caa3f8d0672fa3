using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace EtnaAuth.Tests
{
    /// <summary>EtnaSession.Log: lines, levels, no secrets, and handlers that misbehave.</summary>
    public static class LogTests
    {
        private const string AppKey = "app-key-0123456789abcdef";
        private const string Password = "Pa55-w0rd-for-the-log";
        private const string Pin = "8642";
        private const string Code = "975310";

        private static EtnaSandbox Sandbox()
        {
            return new EtnaSandbox("{\"app_key\": \"" + AppKey + "\", \"accounts\": [{\"username\": \"erin\", \"password\": \"" + Password
                + "\", \"pin\": \"" + Pin + "\", \"code\": \"" + Code + "\"}]}");
        }

        [Test]
        public static void TheHandlerReceivesLinesUpToTheLevel()
        {
            using (var sandbox = Sandbox())
            using (var s = sandbox.NewSession())
            {
                Assert.Equal(null, s.Log, "no log by default");
                Assert.Equal(EtnaLogLevel.Info, s.LogLevel, "default level");
                var lines = new ConcurrentQueue<Tuple<EtnaLogLevel, string>>();
                s.Log = (level, line) => lines.Enqueue(Tuple.Create(level, line));
                s.Login("erin", Password, pin: r => Pin, code: r => Code);
                Assert.True(lines.Count > 0, "lines at INFO");
                Assert.True(lines.All(l => l.Item1 == EtnaLogLevel.Info), "only INFO lines: " + string.Join(" | ", lines.Select(l => l.Item1 + " " + l.Item2)));
                Assert.True(lines.All(l => l.Item2.Length > 0 && l.Item2.IndexOfAny(new[] { '\r', '\n' }) < 0), "one line each");

                var all = new ConcurrentQueue<Tuple<EtnaLogLevel, string>>();
                s.Log = (level, line) => all.Enqueue(Tuple.Create(level, line));
                s.LogLevel = EtnaLogLevel.Trace;
                s.Login("erin", Password, pin: r => Pin, code: r => Code);
                var levels = new HashSet<EtnaLogLevel>(all.Select(l => l.Item1));
                Assert.True(levels.SetEquals(new[] { EtnaLogLevel.Info, EtnaLogLevel.Debug, EtnaLogLevel.Trace }), "all three levels at TRACE, got " + string.Join(",", levels));

                int before = all.Count;
                s.Log = null;
                s.Login("erin", Password, pin: r => Pin, code: r => Code);
                Assert.Equal(before, all.Count, "no line after Log = null");
                Assert.Throws<ArgumentOutOfRangeException>(() => { s.LogLevel = (EtnaLogLevel)4; });
            }
        }

        [Test]
        public static void NoSecretInAnyLineAtTrace()
        {
            using (var sandbox = Sandbox())
            using (var s = sandbox.NewSession())
            {
                var lines = new ConcurrentQueue<string>();
                s.LogLevel = EtnaLogLevel.Trace;
                s.Log = (level, line) => lines.Enqueue(line);
                // A wrong PIN and a wrong code first, so that the log covers the retries too.
                int pins = 0, codes = 0;
                string token = s.Login("erin", Password, pin: r => pins++ == 0 ? "1111" : Pin, code: r => codes++ == 0 ? "000000" : Code);
                string asyncToken = s.LoginAsync("erin", Password,
                    pin: r => System.Threading.Tasks.Task.FromResult(Pin),
                    code: r => System.Threading.Tasks.Task.FromResult(Code)).GetAwaiter().GetResult();
                Assert.True(lines.Count >= 10, "a TRACE log, got " + lines.Count + " lines");
                // The server's address out first: its port (41111, say) could hold a PIN's digits.
                string log = string.Join("\n", lines).Replace(sandbox.Url, "<url>");
                Assert.Contains("<url>", log, "the server's address");
                Assert.Contains("***", log, "secrets shown as ***");
                foreach (string secret in new[] { Password, Pin, Code, "1111", "000000", token, asyncToken, AppKey })
                    Assert.NotContains(log, secret, "the TRACE log");
            }
        }

        [Test]
        public static void AThrowingHandlerBreaksNothing()
        {
            using (var sandbox = Sandbox())
            using (var s = sandbox.NewSession())
            {
                int calls = 0;
                s.LogLevel = EtnaLogLevel.Trace;
                s.Log = (level, line) => { Interlocked.Increment(ref calls); throw new InvalidOperationException("handler bug"); };
                Fixtures.AssertToken(s.Login("erin", Password, pin: r => Pin, code: r => Code));
                Fixtures.AssertToken(s.LoginAsync("erin", Password,
                    pin: r => System.Threading.Tasks.Task.FromResult(Pin),
                    code: r => System.Threading.Tasks.Task.FromResult(Code)).GetAwaiter().GetResult());
                Assert.True(calls > 0, "the handler was called");
                Assert.Throws<EtnaCredentialsException>(() => s.Login("erin", "wrong")); // errors still come through as themselves
            }
        }

        [Test]
        public static void AHandlerCannotChangeItsSessionButCanReadIt()
        {
            using (var sandbox = Sandbox())
            using (var s = sandbox.NewSession())
            {
                var refused = new ConcurrentQueue<Exception>();
                int reads = 0;
                s.Log = (level, line) =>
                {
                    try { s.BeginAuth("erin", Password); }
                    catch (Exception e) { refused.Enqueue(e); }
                    var unused = s.ExpiresAt; // reading never waits
                    Interlocked.Increment(ref reads);
                };
                Fixtures.AssertToken(s.Login("erin", Password, pin: r => Pin, code: r => Code));
                Assert.True(refused.Count > 0 && refused.All(e => e is InvalidOperationException), "changing calls refused: " + string.Join(", ", refused.Select(e => e.GetType().Name)));
                Assert.True(reads > 0, "reads");
            }
        }

        [Test]
        public static void TheNativeDelegateLivesAsLongAsTheSession()
        {
            using (var sandbox = Sandbox())
            {
                int lines = 0;
                var s = sandbox.NewSession();
                SetCountingLog(s, () => Interlocked.Increment(ref lines));
                for (int i = 0; i < 3; i++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
                Fixtures.AssertToken(s.Login("erin", Password, pin: r => Pin, code: r => Code));
                Assert.True(lines > 0, "lines after collections");
                // A session only finalized: its log must not outlive the delegate (no crash).
                s = null;
                LeakSessionWithLog(sandbox);
                for (int i = 0; i < 3; i++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
            }
        }

        private static void SetCountingLog(EtnaSession s, Action count)
        {
            s.LogLevel = EtnaLogLevel.Trace;
            s.Log = (level, line) => count();
        }

        private static void LeakSessionWithLog(EtnaSandbox sandbox)
        {
            var s = sandbox.NewSession();
            SetCountingLog(s, () => { });
            s.Login("erin", Password, pin: r => Pin, code: r => Code);
        }
    }
}
