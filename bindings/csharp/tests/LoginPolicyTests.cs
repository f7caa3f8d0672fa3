using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// Every rule of docs/login-policy.md for <see cref="EtnaSession.Login"/>, against the sandbox
    /// (each test its own, so that its request count is the test's own). The rule for a factor
    /// given as a string does not apply: Login takes callbacks only.
    /// </summary>
    public static class LoginPolicyTests
    {
        /// <summary>
        /// The callbacks for dave (PIN and code) that answer each factor wrongly once, then rightly,
        /// and record each call with the server's Reason.
        /// </summary>
        public sealed class WrongThenRight
        {
            private readonly List<string> calls = new List<string>();

            public string Pin(string reason)
            {
                calls.Add("pin(" + reason + ")");
                return calls.Count == 1 ? "0000" : "4321";
            }

            public string Code(string reason)
            {
                calls.Add("code(" + reason + ")");
                return calls.Count == 3 ? "000000" : "654321";
            }

            /// <summary>Each factor was asked twice, in order, with the server's Reason each time.</summary>
            public void AssertCalls()
            {
                Assert.Equal("pin(Expecting security pin)|pin(Invalid pin)|code(Expecting confirmation code)|code(Invalid verification code)",
                    string.Join("|", calls), "calls");
            }
        }

        /// <summary>
        /// What every way of giving up leaves behind: no credentials (a supply call is a STATE error
        /// and sends nothing), no token, and a session that logs in again.
        /// </summary>
        public static void AssertGivenUp(EtnaSandbox sandbox, EtnaSession s)
        {
            long requests = sandbox.RequestCount;
            Assert.Throws<EtnaStateException>(() => s.SupplyPin("4321"));
            Assert.Throws<EtnaStateException>(() => s.SupplyCode("654321"));
            Assert.Equal(requests, sandbox.RequestCount, "requests sent after giving up");
            Assert.Throws<EtnaStateException>(() => s.Token);
            Assert.Equal(null, s.ExpiresAt, "ExpiresAt after giving up");
            Fixtures.AssertToken(s.Login("dave", "dave-pass", pin: r => "4321", code: r => "654321"));
        }

        [Test]
        public static void CallbacksAreCalledEachTimeWithTheServersReason()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                var answers = new WrongThenRight();
                string token = s.Login("dave", "dave-pass", pin: answers.Pin, code: answers.Code);
                Fixtures.AssertToken(token);
                answers.AssertCalls();
                Assert.Equal(5L, sandbox.RequestCount, "requests: one per answer");
                Assert.Equal(token, s.Token, "Token");
            }
        }

        [Test]
        public static void ACallbackThatGivesNoValueAbandonsTheLogin()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                var e = Assert.Throws<EtnaCancelledException>(() => s.Login("bob", "bob-pass", pin: r => null));
                Assert.Equal(EtnaStatus.Cancelled, e.Status, "Status");
                Assert.Contains("PIN", e.Message);
                Assert.Equal(1L, sandbox.RequestCount, "requests: the password only");
                AssertGivenUp(sandbox, s);
                // After a wrong first answer too.
                int n = 0;
                Assert.Throws<EtnaCancelledException>(() => s.Login("carol", "carol-pass", code: r => n++ == 0 ? "000000" : null));
                Assert.Equal(2, n, "code callback calls");
                AssertGivenUp(sandbox, s);
            }
        }

        [Test]
        public static void AFactorNotGivenAbandonsTheLoginNamingIt()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                // The library's one text for each factor (etna_login), as for a callback that gives up.
                var e = Assert.Throws<EtnaCancelledException>(() => s.Login("bob", "bob-pass"));
                Assert.Equal("the login was abandoned: no PIN was given", e.Message, "Message");
                AssertGivenUp(sandbox, s);
                e = Assert.Throws<EtnaCancelledException>(() => s.Login("carol", "carol-pass", pin: r => "1234"));
                Assert.Equal("the login was abandoned: no verification code was given", e.Message, "Message");
                AssertGivenUp(sandbox, s);
                long before = sandbox.RequestCount;
                e = Assert.Throws<EtnaCancelledException>(() => s.Login("dave", "dave-pass", pin: r => "4321"));
                Assert.Equal("the login was abandoned: no verification code was given", e.Message, "Message");
                Assert.Equal(before + 2, sandbox.RequestCount, "requests: password and PIN");
                AssertGivenUp(sandbox, s);
            }
        }

        private sealed class UserGaveUp : Exception
        {
        }

        [Test]
        public static void ACallbackExceptionEndsTheLoginAndPropagatesUnchanged()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                var thrown = new UserGaveUp();
                var e = Assert.Throws<UserGaveUp>(() => s.Login("carol", "carol-pass", code: r => { throw thrown; }));
                Assert.True(ReferenceEquals(thrown, e), "the very exception the callback threw");
                Assert.Equal(1L, sandbox.RequestCount, "requests");
                AssertGivenUp(sandbox, s);
                var oce = new OperationCanceledException("the user closed the dialog");
                Assert.True(ReferenceEquals(oce, Assert.Throws<OperationCanceledException>(() => s.Login("bob", "bob-pass", pin: r => { throw oce; }))), "unchanged");
                AssertGivenUp(sandbox, s);
                // A value that cannot be sent (a NUL) is the callback's mistake: an ArgumentException, login ended.
                Assert.Equal("pin", Assert.Throws<ArgumentException>(() => s.Login("bob", "bob-pass", pin: r => "12\u000034")).ParamName, "ParamName");
                AssertGivenUp(sandbox, s);
            }
        }

        [Test]
        public static void ALibraryErrorEndsTheLoginWithTheLibrarysMessageVerbatim()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            using (var witness = sandbox.NewSession())
            {
                // The message the library gives for the same failure, seen right after the call.
                Assert.Throws<EtnaCredentialsException>(() => witness.BeginAuth("alice", "wrong"));
                string expected = NativeMethods.LastError();
                var e = Assert.Throws<EtnaCredentialsException>(() => s.Login("alice", "wrong"));
                Assert.Equal(expected, e.Message, "Message");
                Assert.Equal(EtnaStatus.Credentials, e.Status, "Status");
                AssertGivenUp(sandbox, s);

                int calls = 0;
                var rejected = Assert.Throws<EtnaRejectedException>(() => s.Login("bob", "bob-pass", pin: r => { calls++; return "9999"; }));
                Assert.Equal(3, calls, "wrong PINs before the lockout (max_attempts 3)");
                Assert.Equal(EtnaStatus.Rejected, rejected.Status, "Status");
                Assert.True(rejected.Message.Length > 0 && !rejected.Message.StartsWith("ETNA_", StringComparison.Ordinal), "the library's message: " + rejected.Message);
                AssertGivenUp(sandbox, s);

                // A control character in the PIN: the library's ARGUMENT error, which on its own
                // would leave the step standing; Login ends the login.
                Assert.Throws<EtnaArgumentException>(() => s.Login("bob", "bob-pass", pin: r => "12\r\n34"));
                AssertGivenUp(sandbox, s);
            }
        }

        [Test]
        public static void ATransientErrorOnASupplyCallEndsTheLoginToo()
        {
            // A 503 on the PIN step would leave the step standing in a step-by-step login (a
            // hostile server: the sandbox never answers 503).
            using (var server = new ScriptedServer("pin-busy-ok"))
            using (var s = new EtnaSession(server.Url, "k"))
            {
                Assert.Throws<EtnaServerException>(() => s.Login("u", "p", pin: r => "1234"));
                Assert.Equal(2, server.Requests, "requests");
                Assert.Throws<EtnaStateException>(() => s.SupplyPin("1234"));
                Assert.Equal(2, server.Requests, "requests after giving up");
            }
        }

        [Test]
        public static void ACancelEndsTheLogin()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                // Cancel while the user is being asked: no exchange in flight, so the next one (the
                // PIN) is stopped before it is sent.
                var e = Assert.Throws<EtnaCancelledException>(() => s.Login("bob", "bob-pass", pin: r => { s.Cancel(); return "1234"; }));
                Assert.Equal(EtnaStatus.Cancelled, e.Status, "Status");
                Assert.Equal(1L, sandbox.RequestCount, "requests: the PIN was not sent");
                AssertGivenUp(sandbox, s);
            }
        }

        [Test]
        public static void ACancelFromAnotherThreadEndsTheLoginInFlight()
        {
            // The PIN exchange never gets an answer; everything before and after does.
            using (var server = new ScriptedServer("pin-then-stall"))
            using (var s = server.StalledSession())
            {
                var canceller = new Thread(() =>
                {
                    var wait = Stopwatch.StartNew();
                    while (server.Requests < 2 && wait.Elapsed.TotalSeconds < 10)
                        Thread.Sleep(5);
                    s.Cancel();
                });
                canceller.Start();
                var watch = Stopwatch.StartNew();
                Assert.Throws<EtnaCancelledException>(() => s.Login("u", "p", pin: r => "1234"));
                Assert.True(canceller.Join(5000), "canceller done");
                Assert.True(watch.Elapsed.TotalSeconds < 5, "cancelled at once");
                Assert.Throws<EtnaStateException>(() => s.SupplyPin("1234"));
                Assert.Equal(2, server.Requests, "requests after giving up");
            }
        }

        [Test]
        public static void ExpiresAtIsNullWithoutAToken()
        {
            using (var s = Fixtures.Session())
            {
                Assert.Equal(null, s.ExpiresAt, "before any login");
                s.Login("alice", "alice-pass");
                Assert.True(s.ExpiresAt.HasValue, "after a login");
                Assert.Equal(AuthStep.NeedPin, s.BeginAuth("bob", "bob-pass"));
                Assert.Equal(null, s.ExpiresAt, "during a login");
                Assert.Equal(AuthStep.Done, s.SupplyPin("1234"));
                Assert.True(s.ExpiresAt.HasValue, "after the PIN");
                s.EndLogin();
                Assert.Equal(null, s.ExpiresAt, "after EndLogin");
            }
        }
    }
}
