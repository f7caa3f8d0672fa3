using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace EtnaAuth.Tests
{
    /// <summary>Shared fixtures: one default sandbox for the run.</summary>
    public static class Fixtures
    {
        private static readonly Lazy<EtnaSandbox> shared = new Lazy<EtnaSandbox>(() => new EtnaSandbox());

        /// <summary>The default sandbox (accounts alice, bob, carol, dave, jürgen), never disposed.</summary>
        public static EtnaSandbox Sandbox
        {
            get { return shared.Value; }
        }

        public static EtnaSession Session()
        {
            var s = new EtnaSession(Sandbox.Url, Sandbox.AppKey);
            s.Timeout = TimeSpan.FromSeconds(10);
            return s;
        }

        /// <summary>A 1FA-or-more login against a hostile server, with fixed factors.</summary>
        public static string LoginAgainst(ScriptedServer server, string pin = null, string code = null, int timeoutMs = 5000, string password = "p")
        {
            using (var s = new EtnaSession(server.Url, "the-key"))
            {
                s.Timeout = TimeSpan.FromMilliseconds(timeoutMs);
                return s.Login("u", password, pin == null ? (Func<string, string>)null : r => pin, code == null ? (Func<string, string>)null : r => code);
            }
        }

        public static void AssertToken(string token)
        {
            Assert.True(!string.IsNullOrEmpty(token), "a token");
            Assert.True(token.All(c => c > ' ' && c < 0x7f), "a visible-ASCII token");
        }
    }

    public static class FlowTests
    {
        [Test]
        public static void SingleFactorLogin()
        {
            using (var s = Fixtures.Session())
            {
                DateTimeOffset before = DateTimeOffset.UtcNow;
                string token = s.Login("alice", "alice-pass");
                Fixtures.AssertToken(token);
                Assert.Equal(token, s.Token, "Token");
                Assert.Equal("Bearer " + token, s.AuthorizationHeader, "AuthorizationHeader");
                double hours = (s.ExpiresAt.Value - before).TotalHours;
                Assert.True(hours > 23.9 && hours < 24.1, "ExpiresAt = login time + 24 h, got +" + hours + " h");
                Assert.Equal("", s.Reason, "Reason after Done");
            }
        }

        [Test]
        public static void SingleFactorStepByStep()
        {
            using (var s = Fixtures.Session())
            {
                Assert.Equal(AuthStep.Done, s.BeginAuth("alice", "alice-pass"));
                Fixtures.AssertToken(s.Token);
            }
        }

        [Test]
        public static void PinStepByStep()
        {
            using (var s = Fixtures.Session())
            {
                Assert.Equal(AuthStep.NeedPin, s.BeginAuth("bob", "bob-pass"));
                Assert.True(s.Reason.Length > 0, "the server's Reason with NeedPin");
                Assert.Throws<EtnaStateException>(() => s.Token);
                Assert.Throws<EtnaStateException>(() => s.SupplyCode("123456"));
                Assert.Equal(AuthStep.NeedPin, s.BeginAuth("bob", "bob-pass")); // the STATE error changed nothing, restart works
                Assert.Equal(AuthStep.Done, s.SupplyPin("1234"));
                Fixtures.AssertToken(s.Token);
            }
        }

        [Test]
        public static void CodeStepByStep()
        {
            using (var s = Fixtures.Session())
            {
                Assert.Equal(AuthStep.NeedCode, s.BeginAuth("carol", "carol-pass"));
                Assert.Equal("Expecting confirmation code", s.Reason, "Reason");
                Assert.Throws<EtnaStateException>(() => s.SupplyPin("1234"));
                Assert.Equal(AuthStep.Done, s.SupplyCode("123456"));
                Fixtures.AssertToken(s.Token);
            }
        }

        /// <summary>
        /// Logs in with Login(), answering the <paramref name="factor"/> callback with
        /// <paramref name="answers"/> in turn (the other factor's callback fails the test), checks the
        /// token, and returns the Reasons the callback was called with, joined by "|".
        /// </summary>
        private static string LoginReasons(string user, AuthStep factor, params string[] answers)
        {
            using (var s = Fixtures.Session())
            {
                var reasons = new List<string>();
                Func<string, string> answer = r => { reasons.Add(r); return answers[reasons.Count - 1]; };
                Func<string, string> never = r => { throw new AssertionException("no " + (factor == AuthStep.NeedPin ? "code" : "PIN") + " was asked for"); };
                string token = factor == AuthStep.NeedPin
                    ? s.Login(user, user + "-pass", pin: answer, code: never)
                    : s.Login(user, user + "-pass", pin: never, code: answer);
                Fixtures.AssertToken(token);
                return string.Join("|", reasons);
            }
        }

        [Test]
        public static void PinLoginCallsThePinCallbackOnce()
        {
            Assert.Equal("Expecting security pin", LoginReasons("bob", AuthStep.NeedPin, "1234"), "one pin callback call, with the server's Reason");
        }

        [Test]
        public static void CodeLoginCallsTheCodeCallbackOnce()
        {
            Assert.Equal("Expecting confirmation code", LoginReasons("carol", AuthStep.NeedCode, "123456"), "one code callback call, with the server's Reason");
        }

        [Test]
        public static void PinThenCode()
        {
            using (var s = Fixtures.Session())
            {
                var calls = new List<string>();
                string token = s.Login("dave", "dave-pass",
                    pin: r => { calls.Add("pin"); return "4321"; },
                    code: r => { calls.Add("code"); return "654321"; });
                Fixtures.AssertToken(token);
                Assert.Equal("pin,code", string.Join(",", calls), "factor order");
            }
        }

        [Test]
        public static void PinThenCodeStepByStep()
        {
            using (var s = Fixtures.Session())
            {
                Assert.Equal(AuthStep.NeedPin, s.BeginAuth("dave", "dave-pass"));
                Assert.Equal(AuthStep.NeedCode, s.SupplyPin("4321"));
                Assert.Equal(AuthStep.Done, s.SupplyCode("654321"));
                Fixtures.AssertToken(s.Token);
            }
        }

        [Test]
        public static void WrongPinIsAskedAgainWithTheServersReason()
        {
            Assert.Equal("Expecting security pin|Invalid pin", LoginReasons("bob", AuthStep.NeedPin, "0000", "1234"),
                "two pin callback calls: the server's Reason the first time, then after a wrong PIN");
        }

        [Test]
        public static void WrongCodeIsAskedAgainWithTheServersReason()
        {
            Assert.Equal("Expecting confirmation code|Invalid verification code|Invalid verification code",
                LoginReasons("carol", AuthStep.NeedCode, "000000", "000000", "123456"),
                "three code callback calls: the server's Reason, then after each wrong code");
        }

        [Test]
        public static void WrongPinStepByStep()
        {
            using (var s = Fixtures.Session())
            {
                Assert.Equal(AuthStep.NeedPin, s.BeginAuth("dave", "dave-pass"));
                Assert.Equal(AuthStep.NeedPin, s.SupplyPin("1111"));
                Assert.Equal("Invalid pin", s.Reason, "Reason");
                Assert.Equal(AuthStep.NeedCode, s.SupplyPin("4321"));
                Assert.Equal(AuthStep.NeedCode, s.SupplyCode("111111"));
                Assert.Equal("Invalid verification code", s.Reason, "Reason");
                Assert.Equal(AuthStep.Done, s.SupplyCode("654321"));
            }
        }

        [Test]
        public static void PinLockoutAfterMaxAttempts()
        {
            using (var s = Fixtures.Session())
            {
                int calls = 0;
                var e = Assert.Throws<EtnaRejectedException>(() => s.Login("bob", "bob-pass", pin: r => { calls++; return "9999"; }));
                Assert.Equal(EtnaStatus.Rejected, e.Status, "Status");
                Assert.Equal(3, calls, "wrong PINs before the lockout (max_attempts 3)");
                // The login is over.
                Assert.Throws<EtnaStateException>(() => s.SupplyPin("1234"));
                Assert.Throws<EtnaStateException>(() => s.Token);
            }
        }

        [Test]
        public static void CodeLockoutWithAConfiguredMaxAttempts()
        {
            using (var sandbox = new EtnaSandbox("{\"max_attempts\": 2, \"accounts\": [{\"username\": \"erin\", \"password\": \"erin-pass\", \"code\": \"777777\"}]}"))
            using (var s = sandbox.NewSession())
            {
                Assert.Equal(AuthStep.NeedCode, s.BeginAuth("erin", "erin-pass"));
                Assert.Equal(AuthStep.NeedCode, s.SupplyCode("1"));
                Assert.Equal("Invalid verification code", s.Reason, "Reason");
                Assert.Throws<EtnaRejectedException>(() => s.SupplyCode("2"));
                Assert.Throws<EtnaStateException>(() => s.SupplyCode("777777"));
                // A new login starts afresh.
                Assert.Equal("777777".Length, 6);
                Fixtures.AssertToken(s.Login("erin", "erin-pass", code: r => "777777"));
            }
        }

        [Test]
        public static void NonAsciiDefaultAccountRoundTrips()
        {
            using (var s = Fixtures.Session())
                Fixtures.AssertToken(s.Login("jürgen", "pässwörd-ß"));
            using (var s = Fixtures.Session())
            {
                // The same letters in another normalization are other bytes: refused.
                string decomposed = "ju\u0308rgen";
                Assert.Throws<EtnaCredentialsException>(() => s.Login(decomposed, "pässwörd-ß"));
            }
        }

        [Test]
        public static void NonAsciiConfiguredAccountWithAPin()
        {
            const string user = "Zoë-東京-\U0001F511";
            const string pass = "pä$$ wörd-ß-€";
            string config = "{\"accounts\": [{\"username\": \"" + user + "\", \"password\": \"" + pass + "\", \"pin\": \"2468\"}]}";
            using (var sandbox = new EtnaSandbox(config))
            using (var s = sandbox.NewSession())
            {
                Fixtures.AssertToken(s.Login(user, pass, pin: r => "2468"));
                Assert.Throws<EtnaCredentialsException>(() => s.Login(user, "pa$$ word-ss-€"));
            }
        }

        [Test]
        public static void NonAsciiCredentialsAreSentAsUtf8Bytes()
        {
            // The server checks the headers' bytes (expect_request; a violation fails Dispose).
            using (var server = new ScriptedServer("utf8-credentials"))
            using (var s = new EtnaSession(server.Url, "k"))
            {
                s.Login("jürgen", "pässwörd-ß");
                Assert.Equal(1, server.Requests, "requests");
                server.AssertNoViolations();
            }
        }

        [Test]
        public static void SecondStepsSendTheInterimTokenAndTheFactor()
        {
            // Et-App-Key, Content-Length: 0, no Authorization at first; then the interim token
            // with PinCode, then with VerificationCode and no PinCode (the script's expect_request).
            using (var server = new ScriptedServer("pin-code-ok"))
            {
                Assert.Equal("tok-abc", Fixtures.LoginAgainst(server, pin: "1234", code: "999"));
                Assert.Equal(3, server.Requests, "requests");
                server.AssertNoViolations();
                Assert.Equal(1, server.Connections, "one keep-alive connection");
            }
        }

        [Test]
        public static void A2faLoginUsesOneConnection()
        {
            using (var sandbox = new EtnaSandbox())
            using (var s = sandbox.NewSession())
            {
                s.Login("dave", "dave-pass", pin: r => "4321", code: r => "654321");
                Assert.Equal(3L, sandbox.RequestCount, "requests");
                Assert.Equal(1L, sandbox.ConnectionCount, "connections");
            }
        }

        [Test]
        public static void ConfiguredAppKeyAndAccounts()
        {
            using (var sandbox = new EtnaSandbox("{\"app_key\": \"my-key\", \"accounts\": [{\"username\": \"u\", \"password\": \"p\"}]}"))
            {
                Assert.Equal("my-key", sandbox.AppKey, "AppKey");
                Assert.True(sandbox.Url.StartsWith("http://127.0.0.1:", StringComparison.Ordinal) && sandbox.Url.EndsWith("/api", StringComparison.Ordinal), "Url " + sandbox.Url);
                using (var s = new EtnaSession(sandbox.Url, "my-key"))
                    Fixtures.AssertToken(s.Login("u", "p"));
                using (var s = new EtnaSession(sandbox.Url + "/", "my-key"))
                    Fixtures.AssertToken(s.Login("u", "p")); // trailing slash
                using (var s = sandbox.NewSession())
                    Assert.Throws<EtnaCredentialsException>(() => s.Login("alice", "alice-pass"));
            }
        }

        [Test]
        public static void BeginAuthRestartsAndDropsTheOldToken()
        {
            using (var s = Fixtures.Session())
            {
                string first = s.Login("alice", "alice-pass");
                Assert.Equal(AuthStep.NeedPin, s.BeginAuth("bob", "bob-pass"));
                Assert.Throws<EtnaStateException>(() => s.Token);
                Assert.Equal(null, s.ExpiresAt, "ExpiresAt");
                Assert.Equal(AuthStep.Done, s.SupplyPin("1234"));
                Assert.True(s.Token != first, "a new token");
            }
        }

        [Test]
        public static void EachLoginGetsItsOwnToken()
        {
            using (var s = Fixtures.Session())
            {
                var tokens = new HashSet<string>();
                for (int i = 0; i < 5; i++)
                    tokens.Add(s.Login("alice", "alice-pass"));
                Assert.Equal(5, tokens.Count, "distinct tokens");
            }
        }

        [Test]
        public static void TimeoutProperty()
        {
            using (var s = Fixtures.Session())
            {
                using (var fresh = new EtnaSession(Fixtures.Sandbox.Url, Fixtures.Sandbox.AppKey))
                    Assert.Equal(TimeSpan.FromSeconds(30), fresh.Timeout, "default Timeout");
                s.Timeout = TimeSpan.FromMilliseconds(1500);
                Assert.Equal(TimeSpan.FromMilliseconds(1500), s.Timeout, "Timeout");
                s.Timeout = TimeSpan.FromTicks(1); // rounded up to 1 ms, not 0
                Assert.Throws<ArgumentOutOfRangeException>(() => { s.Timeout = TimeSpan.Zero; });
                Assert.Throws<ArgumentOutOfRangeException>(() => { s.Timeout = TimeSpan.FromSeconds(-1); });
                Assert.Throws<ArgumentOutOfRangeException>(() => { s.Timeout = TimeSpan.FromDays(60); });
                Assert.Equal(TimeSpan.FromTicks(1), s.Timeout, "unchanged by refused values");
                s.Timeout = TimeSpan.FromSeconds(10);
                Fixtures.AssertToken(s.Login("alice", "alice-pass"));
            }
        }

        [Test]
        public static void LibraryVersionAndStatusDescriptions()
        {
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(EtnaLibrary.Version, @"^\d+\.\d+\.\d+"), "a version, got " + EtnaLibrary.Version);
            var seen = new HashSet<string>();
            foreach (EtnaStatus st in Enum.GetValues(typeof(EtnaStatus)))
            {
                string d = EtnaLibrary.Describe(st);
                Assert.True(d.StartsWith(EtnaException.StatusName(st), StringComparison.Ordinal), "Describe(" + st + ") starts with its C name: " + d);
                Assert.True(seen.Add(d), "distinct descriptions");
            }
        }

        [Test]
        public static void EndLoginAbandonsALoginAndSendsNothingMore()
        {
            using (var s = Fixtures.Session())
            {
                Assert.Equal(AuthStep.NeedPin, s.BeginAuth("dave", "dave-pass"), "dave's first step");
                s.EndLogin();
                Assert.Equal("", s.Reason, "reason after EndLogin");
                long requests = Fixtures.Sandbox.RequestCount;
                Assert.Throws<EtnaStateException>(() => s.SupplyPin("4321"));
                Assert.Equal(requests, Fixtures.Sandbox.RequestCount, "sandbox requests");
            }
        }

        [Test]
        public static void EndLoginForgetsTheTokenAndTheSessionLogsInAgain()
        {
            using (var s = Fixtures.Session())
            {
                s.Login("alice", "alice-pass");
                s.EndLogin();
                Assert.Throws<EtnaStateException>(() => { var t = s.Token; });
                Assert.Equal(null, s.ExpiresAt, "ExpiresAt");
                s.EndLogin();
                Assert.True(s.Login("alice", "alice-pass").Length > 0, "a new login");
            }
        }

        [Test]
        public static void TokenCacheRoundTrip()
        {
            string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "etna-cs-" + Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(dir);
            string path = System.IO.Path.Combine(dir, "tokens.json");
            try
            {
                string token;
                using (var s = Fixtures.Session())
                {
                    Assert.True(!s.LoadToken(path, "alice", TimeSpan.Zero), "no cache file yet: false");
                    Assert.Throws<EtnaStateException>(() => s.SaveToken(path));
                    token = s.Login("alice", "alice-pass");
                    s.SaveToken(path);
                }
                Assert.NotContains(System.IO.File.ReadAllText(path), "alice-pass", "the cache file");
                using (var s = Fixtures.Session())
                {
                    Assert.True(s.TryLoadToken(path, "alice", TimeSpan.FromHours(1)), "loaded");
                    Assert.Equal(token, s.Token, "cached token");
                    Assert.True(!s.TryLoadToken(path, "alice", TimeSpan.FromHours(25)), "not valid for 25 h");
                    Assert.True(!s.TryLoadToken(path, "bob", TimeSpan.Zero), "no entry for bob");
                    Assert.True(s.LoadToken(path, "alice", TimeSpan.Zero), "LoadToken, its first name");
                }
                EtnaSession.ForgetToken(path, Fixtures.Sandbox.Url, "alice");
                using (var s = Fixtures.Session())
                    Assert.True(!s.TryLoadToken(path, "alice", TimeSpan.Zero), "forgotten");
                System.IO.File.WriteAllText(path + ".bad", "not json");
                using (var s = Fixtures.Session())
                    Assert.Throws<EtnaIOException>(() => s.TryLoadToken(path + ".bad", "alice", TimeSpan.Zero));
            }
            finally
            {
                System.IO.Directory.Delete(dir, true);
            }
        }
    }
}
