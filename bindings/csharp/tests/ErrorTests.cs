using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Threading;

namespace EtnaAuth.Tests
{
    /// <summary>Every error family, from the sandbox and from hostile servers.</summary>
    public static class ErrorTests
    {
        private static T LoginFails<T>(HostileServer server, int timeoutMs = 5000, string pin = null, string code = null) where T : EtnaException
        {
            return Assert.Throws<T>(() => Fixtures.LoginAgainst(server, pin: pin, code: code, timeoutMs: timeoutMs));
        }

        // -- from the sandbox ----------------------------------------------------------

        [Test]
        public static void WrongAppKey()
        {
            using (var s = new EtnaSession(Fixtures.Sandbox.Url, "not-the-key"))
            {
                var e = Assert.Throws<EtnaAppKeyException>(() => s.Login("alice", "alice-pass"));
                Assert.Equal(EtnaStatus.AppKey, e.Status, "Status");
                Assert.Contains("Application key", e.Message);
            }
        }

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
        public static void StateErrorsSendNothing()
        {
            using (var server = new HostileServer(HostileServer.Answer(HostileServer.Ok)))
            using (var s = new EtnaSession(server.Url(), "k"))
            {
                Assert.Throws<EtnaStateException>(() => s.SupplyPin("1234"));
                Assert.Throws<EtnaStateException>(() => s.SupplyCode("1234"));
                Assert.Equal(0, server.Requests, "requests");
            }
        }

        [Test]
        public static void UnreadableCaFileIsAnIOError()
        {
            using (var s = Fixtures.Session())
            {
                var e = Assert.Throws<EtnaIOException>(() => s.SetCaFile("/nonexistent/dir/ca.pem"));
                Assert.Equal(EtnaStatus.IO, e.Status, "Status");
            }
        }

        [Test]
        public static void CaFileWithoutACertificateIsAnArgumentError()
        {
            string path = Path.GetTempFileName();
            try
            {
                File.WriteAllText(path, "no certificate here\n");
                using (var s = Fixtures.Session())
                {
                    var e = Assert.Throws<EtnaArgumentException>(() => s.SetCaFile(path));
                    Assert.Equal(EtnaStatus.Argument, e.Status, "Status");
                }
            }
            finally
            {
                File.Delete(path);
            }
        }

        [Test]
        public static void RefusedArgumentsAreArgumentErrors()
        {
            Assert.Throws<EtnaArgumentException>(() => new EtnaSession("http://example.com/api", "k")); // cleartext to a remote host
            Assert.Throws<EtnaArgumentException>(() => new EtnaSession("ftp://127.0.0.1/api", "k"));
            Assert.Throws<EtnaArgumentException>(() => new EtnaSession("not a url", "k"));
            Assert.Throws<EtnaArgumentException>(() => new EtnaSession("https://user:pw@example.com/api", "k"));
            Assert.Throws<EtnaArgumentException>(() => new EtnaSession("", "k"));
            Assert.Throws<EtnaArgumentException>(() => new EtnaSession("https://example.com/api", ""));
            using (var s = new EtnaSession("https://example.com/api", "k"))
                Assert.Throws<EtnaArgumentException>(() => s.SetProxy("socks5://127.0.0.1:1080"));
        }

        [Test]
        public static void ControlCharactersAreRefusedAndNothingIsSent()
        {
            using (var server = new HostileServer(HostileServer.Answer(HostileServer.NeedPin, HostileServer.Ok)))
            using (var s = new EtnaSession(server.Url(), "k"))
            {
                foreach (string bad in new[] { "a\r\nX-Evil: 1", "a\nb", "tab\there", "del\u007f" })
                {
                    Assert.Throws<EtnaArgumentException>(() => s.BeginAuth(bad, "p"));
                    Assert.Throws<EtnaArgumentException>(() => s.BeginAuth("u", bad));
                }
                Assert.Equal(0, server.Requests, "requests");
                Assert.Equal(AuthStep.NeedPin, s.BeginAuth("u", "p"));
                Assert.Throws<EtnaArgumentException>(() => s.SupplyPin("12\r\n34"));
                Assert.Equal(AuthStep.Done, s.SupplyPin("1234")); // ARGUMENT changed nothing
                Assert.Equal(2, server.Requests, "requests");
            }
            // An app key with a control character: refused by the constructor or, at the latest, before sending.
            long requests = Fixtures.Sandbox.RequestCount;
            Assert.Throws<EtnaArgumentException>(() =>
            {
                using (var bad = new EtnaSession(Fixtures.Sandbox.Url, "key\nX: y"))
                    bad.BeginAuth("alice", "alice-pass");
            });
            Assert.Equal(requests, Fixtures.Sandbox.RequestCount, "sandbox requests");
        }

        [Test]
        public static void NulCharactersAreRefusedBeforeTheNativeCall()
        {
            using (var server = new HostileServer(HostileServer.Answer(HostileServer.Ok)))
            using (var s = new EtnaSession(server.Url(), "k"))
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
        public static void GarbageIsAProtocolError()
        {
            using (var server = new HostileServer(HostileServer.Answer(System.Text.Encoding.ASCII.GetBytes("this is not HTTP at all\r\n\r\n"))))
                LoginFails<EtnaProtocolException>(server);
        }

        [Test]
        public static void NotJsonIsAProtocolError()
        {
            using (var server = new HostileServer(HostileServer.Answer(HostileServer.Http(200, "<html>hello</html>"))))
            {
                var e = LoginFails<EtnaProtocolException>(server);
                Assert.Equal(EtnaStatus.Protocol, e.Status, "Status");
            }
        }

        [Test]
        public static void MissingTokenIsAProtocolError()
        {
            using (var server = new HostileServer(HostileServer.Answer(HostileServer.Http(200, "{\"State\":\"Succeeded\"}"))))
                Assert.Contains("Token", LoginFails<EtnaProtocolException>(server).Message);
        }

        [Test]
        public static void UnsafeTokenIsAProtocolError()
        {
            using (var server = new HostileServer(HostileServer.Answer(HostileServer.Http(200, "{\"State\":\"Succeeded\",\"Token\":\"a b\\r\\nX-Evil: 1\"}"))))
                LoginFails<EtnaProtocolException>(server);
        }

        [Test]
        public static void UnknownStepIsAProtocolErrorNamingIt()
        {
            string body = "{\"State\":\"Expecting\",\"Step\":\"RetinaScan\",\"Reason\":\"Look here\",\"Token\":\"t\"}";
            using (var server = new HostileServer(HostileServer.Answer(HostileServer.Http(202, body))))
                Assert.Contains("RetinaScan", LoginFails<EtnaProtocolException>(server).Message);
        }

        [Test]
        public static void ServerErrors()
        {
            foreach (int status in new[] { 500, 502, 503, 429 })
            {
                using (var server = new HostileServer(HostileServer.Answer(HostileServer.Http(status, "busy"))))
                {
                    var e = LoginFails<EtnaServerException>(server);
                    Assert.Equal(EtnaStatus.Server, e.Status, "Status");
                    Assert.Contains(status.ToString(), e.Message);
                }
            }
        }

        [Test]
        public static void RedirectsAreNotFollowed()
        {
            using (var target = new HostileServer(HostileServer.Answer(HostileServer.Ok)))
            using (var server = new HostileServer(HostileServer.Answer(HostileServer.Http(302, "", "Location: " + target.Url() + "/token"))))
            {
                LoginFails<EtnaProtocolException>(server);
                Assert.Equal(1, server.Requests, "requests");
                Assert.Equal(0, target.Requests, "requests at the redirect's target");
            }
        }

        [Test]
        public static void ResetIsANetworkError()
        {
            using (var server = new HostileServer((n, head, conn) => { HostileServer.Reset(conn); return false; }))
            {
                var e = LoginFails<EtnaNetworkException>(server);
                Assert.Equal(EtnaStatus.Network, e.Status, "Status");
            }
        }

        [Test]
        public static void TruncatedAnswerIsANetworkError()
        {
            byte[] ok = HostileServer.Ok;
            using (var server = new HostileServer((n, head, conn) => { conn.Send(ok, ok.Length - 5, SocketFlags.None); return false; }))
                LoginFails<EtnaNetworkException>(server);
        }

        [Test]
        public static void ConnectionRefusedIsANetworkError()
        {
            using (var s = new EtnaSession("http://127.0.0.1:" + HostileServer.FreePort() + "/api", "k"))
                Assert.Throws<EtnaNetworkException>(() => s.BeginAuth("u", "p"));
        }

        [Test]
        public static void ASilentServerTimesOutOnTime()
        {
            var stop = new ManualResetEvent(false);
            using (var server = new HostileServer((n, head, conn) => { stop.WaitOne(10000); return false; }))
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    var e = LoginFails<EtnaTimeoutException>(server, timeoutMs: 400);
                    Assert.Equal(EtnaStatus.Timeout, e.Status, "Status");
                    Assert.True(e is EtnaNetworkException, "a timeout is a network failure");
                }
                finally
                {
                    stop.Set();
                }
                double s = watch.Elapsed.TotalSeconds;
                Assert.True(s >= 0.3 && s < 3.0, "timed out after about 0.4 s, took " + s + " s");
            }
        }

        [Test]
        public static void ADrippingServerCannotHoldACallPastItsDeadline()
        {
            var stop = new ManualResetEvent(false);
            byte[] answer = HostileServer.Http(200, "{\"State\":\"Succeeded\",\"Token\":\"" + new string('x', 50) + "\"}");
            Handler drip = (n, head, conn) =>
            {
                foreach (byte b in answer)
                {
                    if (stop.WaitOne(100))
                        break;
                    conn.Send(new[] { b });
                }
                return false;
            };
            using (var server = new HostileServer(drip))
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    LoginFails<EtnaTimeoutException>(server, timeoutMs: 500);
                }
                finally
                {
                    stop.Set();
                }
                Assert.True(watch.Elapsed.TotalSeconds < 3.0, "the deadline holds, took " + watch.Elapsed.TotalSeconds + " s");
            }
        }

        [Test]
        public static void CorruptedTicketIsRejected()
        {
            byte[] corrupted = HostileServer.Http(401, "{\"State\":\"Failed\",\"Step\":\"VerificationCode\",\"Reason\":\"Corrupted ticket\"}");
            using (var server = new HostileServer(HostileServer.Answer(HostileServer.NeedCode, corrupted)))
                Assert.Contains("Corrupted ticket", LoginFails<EtnaRejectedException>(server, code: "123456").Message);
        }

        [Test]
        public static void AppKeyBodyWhateverTheStatus()
        {
            foreach (int status in new[] { 400, 401, 403 })
            {
                byte[] answer = HostileServer.Http(status, "{\"error\":\"Application key is not defined or does not exist\"}");
                using (var server = new HostileServer(HostileServer.Answer(answer)))
                    LoginFails<EtnaAppKeyException>(server);
            }
        }

        [Test]
        public static void TlsHandshakeFailureIsATlsError()
        {
            // An https URL to a server that answers the ClientHello in plain HTTP.
            Func<Socket, bool> plainHttp = conn =>
            {
                conn.Receive(new byte[4096]);
                conn.Send(HostileServer.Http(400, "this is plain http"));
                return false;
            };
            using (var server = new HostileServer(HostileServer.Answer(HostileServer.Ok), plainHttp))
            using (var s = new EtnaSession(server.Url("https"), "k"))
            {
                s.Timeout = TimeSpan.FromSeconds(5);
                var e = Assert.Throws<EtnaTlsException>(() => s.BeginAuth("u", "s3cret-pw"));
                Assert.Equal(EtnaStatus.Tls, e.Status, "Status");
                Assert.Equal(0, server.Requests, "requests");
            }
        }

        [Test]
        public static void TransientErrorsOnASupplyCallKeepTheStep()
        {
            using (var server = new HostileServer(HostileServer.Answer(HostileServer.NeedCode, HostileServer.Http(503, "busy"), HostileServer.Ok)))
            using (var s = new EtnaSession(server.Url(), "k"))
            {
                Assert.Equal(AuthStep.NeedCode, s.BeginAuth("u", "p"));
                Assert.Throws<EtnaServerException>(() => s.SupplyCode("1"));
                Assert.Equal(AuthStep.Done, s.SupplyCode("1")); // retried
                Assert.Equal("tok-abc", s.Token, "Token");
            }
        }

        [Test]
        public static void ATimeoutOnASupplyCallKeepsTheStep()
        {
            var stop = new ManualResetEvent(false);
            Handler h = (n, head, conn) =>
            {
                if (n == 1)
                {
                    stop.WaitOne(10000);
                    return false;
                }
                conn.Send(n == 0 ? HostileServer.NeedPin : HostileServer.Ok);
                return true;
            };
            using (var server = new HostileServer(h))
            using (var s = new EtnaSession(server.Url(), "k"))
            {
                try
                {
                    s.Timeout = TimeSpan.FromMilliseconds(400);
                    Assert.Equal(AuthStep.NeedPin, s.BeginAuth("u", "p"));
                    Assert.Throws<EtnaTimeoutException>(() => s.SupplyPin("1"));
                    Assert.Equal(AuthStep.Done, s.SupplyPin("1"));
                }
                finally
                {
                    stop.Set();
                }
            }
        }

        [Test]
        public static void OtherErrorsOnASupplyCallEndTheLogin()
        {
            byte[] refused = HostileServer.Http(401, "{\"State\":\"Failed\",\"Step\":\"SecutityPin\",\"Reason\":\"Invalid pin\"}");
            using (var server = new HostileServer(HostileServer.Answer(HostileServer.NeedPin, refused)))
            using (var s = new EtnaSession(server.Url(), "k"))
            {
                Assert.Equal(AuthStep.NeedPin, s.BeginAuth("u", "p"));
                Assert.Throws<EtnaRejectedException>(() => s.SupplyPin("1"));
                Assert.Throws<EtnaStateException>(() => s.SupplyPin("1"));
                Assert.Equal(2, server.Requests, "requests");
            }
        }

        [Test]
        public static void CancelInterruptsACallInFlight()
        {
            var stop = new ManualResetEvent(false);
            using (var server = new HostileServer((n, head, conn) => { stop.WaitOne(10000); return false; }))
            using (var s = new EtnaSession(server.Url(), "k"))
            {
                s.Timeout = TimeSpan.FromSeconds(20);
                Exception error = null;
                var t = new Thread(() =>
                {
                    try { s.BeginAuth("u", "p"); }
                    catch (Exception e) { error = e; }
                });
                t.Start();
                try
                {
                    var wait = Stopwatch.StartNew();
                    while (server.Requests == 0 && wait.Elapsed.TotalSeconds < 10)
                        Thread.Sleep(10);
                    var watch = Stopwatch.StartNew();
                    s.Cancel();
                    Assert.True(t.Join(5000), "the call returned");
                    Assert.True(watch.Elapsed.TotalSeconds < 2, "at once");
                }
                finally
                {
                    stop.Set();
                }
                Assert.True(error is EtnaCancelledException, "EtnaCancelledException, got " + error);
                Assert.Equal(EtnaStatus.Cancelled, ((EtnaException)error).Status, "Status");
            }
        }

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
