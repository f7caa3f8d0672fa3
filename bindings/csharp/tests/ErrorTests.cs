using System;
using System.Diagnostics;
using System.Threading;

namespace EtnaAuth.Tests
{
    /// <summary>Every error family, from the sandbox and from hostile servers.</summary>
    public static class ErrorTests
    {
        // -- from the sandbox ----------------------------------------------------------

        [Test]
        public static void WrongPassword()
        {
            using (var s = Fixtures.Session())
            {
                var e = Assert.Throws<EtnaCredentialsException>(() => s.BeginAuth("alice", "wrong"));
                Assert.Equal(EtnaStatus.Credentials, e.Status, "Status");
                // The library's message verbatim (still this thread's last error), no "ETNA_ERR_..." prefix.
                Assert.Equal(NativeMethods.LastError(), e.Message, "Message");
                Assert.Contains("401", e.Message);
                Assert.True(!e.Message.StartsWith("ETNA_", StringComparison.Ordinal), "no status prefix: " + e.Message);
                Assert.Equal("", s.Reason, "Reason after an error");
                Assert.Throws<EtnaCredentialsException>(() => s.Login("nobody", "alice-pass"));
                Assert.Throws<EtnaStateException>(() => s.SupplyPin("1234"));
            }
        }

        [Test]
        public static void StateErrors()
        {
            using (var s = Fixtures.Session())
            {
                var e = Assert.Throws<EtnaStateException>(() => s.Token);
                Assert.Equal(EtnaStatus.State, e.Status, "Status");
                Assert.Throws<EtnaStateException>(() => s.AuthorizationHeader);
                Assert.Equal(null, s.ExpiresAt, "ExpiresAt without a token");
                Assert.Throws<EtnaStateException>(() => s.SupplyPin("1234"));
                Assert.Throws<EtnaStateException>(() => s.SupplyCode("123456"));
            }
        }

        [Test]
        public static void NulCharactersAreRefusedBeforeTheNativeCall()
        {
            using (var server = new ScriptedServer("ok"))
            using (var s = new EtnaSession(server.Url, "k"))
            {
                // C would cut "secret\0tail" at the NUL and log in with "secret": refused here.
                var e = Assert.Throws<ArgumentException>(() => s.BeginAuth("u", "secret\0tail"));
                Assert.Equal("password", e.ParamName, "ParamName");
                e = Assert.Throws<ArgumentException>(() => s.BeginAuth("u\0x", "p"));
                Assert.Equal("username", e.ParamName, "ParamName");
                e = Assert.Throws<ArgumentException>(() => s.BeginAuth("u", "lone \uD800 surrogate"));
                Assert.Equal("password", e.ParamName, "ParamName");
                Assert.Equal(0, server.Requests, "requests");
            }
        }

        [Test]
        public static void BadSandboxConfigs()
        {
            Assert.Throws<EtnaArgumentException>(() => new EtnaSandbox("{\"unknown_key\": 1}"));
            Assert.Throws<EtnaArgumentException>(() => new EtnaSandbox("not json"));
            var e = Assert.Throws<EtnaArgumentException>(() => new EtnaSandbox("{\"accounts\": 5}"));
            Assert.Equal(EtnaStatus.Argument, e.Status, "Status");
            Assert.Equal(NativeMethods.LastError(), e.Message, "Message, verbatim");
            Assert.True(e.Message.Length > 0, "a message");
        }

        [Test]
        public static void SandboxOnABusyPortIsAnIOError()
        {
            // etna_sandbox_start returns NULL for a bad config and for a port in use alike: the
            // binding tells them apart by etna_last_status().
            using (var first = new EtnaSandbox())
            {
                int port = new Uri(first.Url).Port;
                var e = Assert.Throws<EtnaIOException>(() => new EtnaSandbox("{\"port\": " + port + "}"));
                Assert.Equal(EtnaStatus.IO, e.Status, "Status");
                Assert.Equal(NativeMethods.LastError(), e.Message, "Message, verbatim");
                Fixtures.AssertToken(first.NewSession().Login("alice", "alice-pass")); // the first one still serves
            }
        }

        [Test]
        public static void RefusedSessionArgumentsCarryTheLibrarysStatusAndMessage()
        {
            var e = Assert.Throws<EtnaArgumentException>(() => new EtnaSession("ftp://127.0.0.1/api", "k"));
            Assert.Equal(EtnaStatus.Argument, e.Status, "Status");
            Assert.Equal(NativeMethods.LastError(), e.Message, "Message, verbatim");
            Assert.True(e.Message.Length > 0 && !e.Message.StartsWith("ETNA_", StringComparison.Ordinal), "a message without prefix: " + e.Message);
        }

        // -- from hostile servers -----------------------------------------------------

        [Test]
        public static void CancelWithNothingInFlightStopsTheNextCallOnceWithoutSending()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                s.Cancel();
                var e = Assert.Throws<EtnaCancelledException>(() => s.BeginAuth("alice", "alice-pass"));
                Assert.Equal(EtnaStatus.Cancelled, e.Status, "Status");
                Assert.Equal(0L, sandbox.RequestCount, "requests");
                Assert.Equal(AuthStep.Done, s.BeginAuth("alice", "alice-pass")); // used once
                s.Cancel();
                s.Cancel();
                Assert.Throws<EtnaCancelledException>(() => s.BeginAuth("alice", "alice-pass"));
                Assert.Equal(AuthStep.Done, s.BeginAuth("alice", "alice-pass")); // two in a row stop one call
                s.Cancel();
                s.EndLogin(); // drops the unused cancel
                Assert.Equal(AuthStep.NeedPin, s.BeginAuth("bob", "bob-pass"));
                Assert.Equal(3L, sandbox.RequestCount, "requests");
            }
        }
    }
}
