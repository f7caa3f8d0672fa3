using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;

namespace EtnaAuth.Tests
{
    /// <summary>Disposal, finalization, null arguments, and secrets kept out of text.</summary>
    public static class LifecycleTests
    {
        [Test]
        public static void DoubleDisposeFreesOnce()
        {
            long before = FreedAfterQuiescing<EtnaSessionHandle>();
            var s = Fixtures.Session();
            s.Login("alice", "alice-pass");
            Assert.True(!s.IsDisposed, "open");
            s.Dispose();
            Assert.True(s.IsDisposed, "disposed");
            s.Dispose();
            ((IDisposable)s).Dispose();
            // Other tests run sequentially, so the count is ours.
            Assert.Equal(before + 1, EtnaSessionHandle.ReleasedCount, "etna_free calls");
        }

        [Test]
        public static void UseAfterDisposeThrowsObjectDisposedException()
        {
            var s = Fixtures.Session();
            s.Login("alice", "alice-pass");
            s.Dispose();
            var calls = new Dictionary<string, Action>
            {
                { "BeginAuth", () => s.BeginAuth("alice", "alice-pass") },
                { "SupplyPin", () => s.SupplyPin("1234") },
                { "SupplyCode", () => s.SupplyCode("123456") },
                { "EndLogin", () => s.EndLogin() },
                { "Login", () => s.Login("alice", "alice-pass") },
                { "Token", () => { var t = s.Token; } },
                { "AuthorizationHeader", () => { var t = s.AuthorizationHeader; } },
                { "ExpiresAt", () => { var t = s.ExpiresAt; } },
                { "Timeout get", () => { var t = s.Timeout; } },
                { "Timeout set", () => { s.Timeout = TimeSpan.FromSeconds(1); } },
                { "LockTimeout get", () => { var t = s.LockTimeout; } },
                { "LockTimeout set", () => { s.LockTimeout = TimeSpan.FromSeconds(1); } },
                { "SetCaFile", () => s.SetCaFile("/etc/ssl/certs/ca-certificates.crt") },
                { "SetProxy", () => s.SetProxy(null) },
                { "Cancel", () => s.Cancel() },
                { "SaveToken", () => s.SaveToken("/tmp/x.json") },
                { "LoadToken", () => s.LoadToken("/tmp/x.json", "alice", TimeSpan.Zero) },
                { "TryLoadToken", () => s.TryLoadToken("/tmp/x.json", "alice", TimeSpan.Zero) },
            };
            foreach (var call in calls)
            {
                var e = Assert.Throws<ObjectDisposedException>(call.Value);
                Assert.Equal("EtnaSession", e.ObjectName, call.Key + ": ObjectName");
            }
            Assert.Contains("disposed", s.ToString());
            Assert.Equal(Fixtures.Sandbox.Url, s.BaseUrl, "BaseUrl stays readable");
        }

        [Test]
        public static void SandboxDisposal()
        {
            long before = FreedAfterQuiescing<EtnaSandboxHandle>();
            var sandbox = new EtnaSandbox();
            string url = sandbox.Url;
            using (var s = sandbox.NewSession())
                Fixtures.AssertToken(s.Login("alice", "alice-pass"));
            sandbox.Dispose();
            sandbox.Dispose();
            Assert.Equal(before + 1, EtnaSandboxHandle.ReleasedCount, "etna_sandbox_stop calls");
            Assert.Throws<ObjectDisposedException>(() => sandbox.Url);
            Assert.Throws<ObjectDisposedException>(() => sandbox.AppKey);
            Assert.Throws<ObjectDisposedException>(() => sandbox.RequestCount);
            Assert.Throws<ObjectDisposedException>(() => sandbox.ConnectionCount);
            Assert.Throws<ObjectDisposedException>(() => sandbox.NewSession());
            Assert.Contains("stopped", sandbox.ToString());
            using (var s = new EtnaSession(url, "sandbox-app-key"))
            {
                s.Timeout = TimeSpan.FromSeconds(5);
                Assert.Throws<EtnaNetworkException>(() => s.Login("alice", "alice-pass")); // the listener is closed
            }
        }

        /// <summary>Lets the finalizers of earlier tests' garbage run, so that counts are ours.</summary>
        private static void Quiesce()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        /// <summary>How many <typeparamref name="T"/> handles are freed so far, once earlier tests' garbage is gone.</summary>
        private static long FreedAfterQuiescing<T>() where T : NativeHandle<T>
        {
            Quiesce();
            return NativeHandle<T>.ReleasedCount;
        }

        /// <summary>Starts <c>BeginAuth</c> on a thread of its own; <paramref name="failed"/> gets what it throws.</summary>
        private static Thread BeginOnAThread(EtnaSession s, Action<Exception> failed)
        {
            var t = new Thread(() =>
            {
                try { s.BeginAuth("u", "p"); }
                catch (Exception e) { failed(e); }
            });
            t.Start();
            return t;
        }

        /// <summary>Waits (10 s at most) until the first login is in flight at <paramref name="server"/>.</summary>
        private static void AwaitTheFirstRequest(ScriptedServer server)
        {
            var wait = Stopwatch.StartNew();
            while (server.Requests == 0 && wait.Elapsed.TotalSeconds < 10)
                Thread.Sleep(10);
            Assert.Equal(1, server.Requests, "the first login is in flight");
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void Abandon(int sessions, int sandboxes)
        {
            for (int i = 0; i < sessions; i++)
            {
                var s = Fixtures.Session();
                if (i % 10 == 0)
                    s.Login("alice", "alice-pass");
                else if (i % 10 == 1)
                    s.BeginAuth("bob", "bob-pass"); // abandoned mid-login
            }
            for (int i = 0; i < sandboxes; i++)
                new EtnaSandbox().ToString();
        }

        [Test]
        public static void FinalizerOnlyRelease()
        {
            long sessionsBefore = EtnaSessionHandle.ReleasedCount;
            long sandboxesBefore = EtnaSandboxHandle.ReleasedCount;
            // On another thread, so that no stack slot of ours keeps one alive (Mono scans stacks conservatively).
            var t = new Thread(() => Abandon(200, 5));
            t.Start();
            t.Join();
            for (int i = 0; i < 3; i++)
                Quiesce();
            long sessions = EtnaSessionHandle.ReleasedCount - sessionsBefore;
            long sandboxes = EtnaSandboxHandle.ReleasedCount - sandboxesBefore;
            Console.WriteLine("    finalizers released " + sessions + "/200 sessions, " + sandboxes + "/5 sandboxes");
            Assert.True(sessions >= 180 && sessions <= 200, "the finalizer freed the sessions (" + sessions + "/200)");
            Assert.True(sandboxes >= 4 && sandboxes <= 5, "the finalizer stopped the sandboxes (" + sandboxes + "/5)");
            // And the library still works.
            using (var s = Fixtures.Session())
                Fixtures.AssertToken(s.Login("dave", "dave-pass", pin: r => "4321", code: r => "654321"));
        }

        [Test]
        public static void DisposeDuringACallInFlightCancelsItAndFreesAfterwards()
        {
            using (var server = new ScriptedServer("stall"))
            {
                long before = FreedAfterQuiescing<EtnaSessionHandle>();
                var s = server.StalledSession();
                Exception error = null;
                var t = BeginOnAThread(s, e => error = e);
                AwaitTheFirstRequest(server);
                s.Dispose();
                Assert.True(s.IsDisposed, "disposed");
                Assert.True(t.Join(5000), "the call returned");
                Assert.True(error is EtnaCancelledException, "the call in flight was cancelled, got " + error);
                Assert.Equal(before + 1, EtnaSessionHandle.ReleasedCount, "freed once, after the call");
            }
        }

        [Test]
        public static void DisposeCancelsCallsWaitingBehindTheOneInFlightAndNeverWaits()
        {
            // One login in flight against a silent server, three more on the same session waiting
            // for it (the library serializes calls on a session). etna_cancel interrupts only the
            // exchange in flight; Dispose must not leave the others to run to their 20-s Timeout.
            using (var server = new ScriptedServer("stall"))
            {
                long before = FreedAfterQuiescing<EtnaSessionHandle>();
                var s = server.StalledSession();
                var errors = new Exception[4];
                var threads = new Thread[4];
                for (int i = 0; i < threads.Length; i++)
                {
                    int k = i;
                    threads[i] = BeginOnAThread(s, e => errors[k] = e);
                    if (i == 0)
                        AwaitTheFirstRequest(server);
                }
                Thread.Sleep(200); // the others reach the session's lock
                var disposing = Stopwatch.StartNew();
                s.Dispose();
                disposing.Stop();
                // A UI thread must not wait: Dispose cancels and returns; the last call frees.
                Assert.True(disposing.ElapsedMilliseconds < 100, "Dispose returned in " + disposing.ElapsedMilliseconds + " ms");
                foreach (Thread t in threads)
                    Assert.True(t.Join(2000), "every call returned");
                Assert.Equal(before + 1, EtnaSessionHandle.ReleasedCount, "freed by the last call to return");
                Assert.True(errors[0] is EtnaCancelledException, "the call in flight was cancelled, got " + errors[0]);
                for (int i = 1; i < errors.Length; i++)
                    Assert.True(errors[i] is EtnaCancelledException || errors[i] is ObjectDisposedException,
                        "a waiting call was cancelled or saw the disposal, got " + errors[i]);
                Assert.Equal(before + 1, EtnaSessionHandle.ReleasedCount, "freed once");
            }
        }

        [Test]
        public static void NullArgumentsThrowArgumentNullExceptionBeforeAnyNativeCall()
        {
            // On a disposed session: the argument check comes first, so it must not be an ObjectDisposedException.
            var s = Fixtures.Session();
            s.Dispose();
            var calls = new Dictionary<string, Action>
            {
                { "baseUrl", () => new EtnaSession(null, "k") },
                { "appKey", () => new EtnaSession("http://127.0.0.1:1/api", null) },
                { "username", () => s.BeginAuth(null, "p") },
                { "password", () => s.BeginAuth("u", null) },
                { "pin", () => s.SupplyPin(null) },
                { "code", () => s.SupplyCode(null) },
                { "pemPath", () => s.SetCaFile(null) },
                { "path", () => s.SaveToken(null) },
            };
            foreach (var call in calls)
            {
                var e = Assert.Throws<ArgumentNullException>(call.Value);
                Assert.Equal(call.Key, e.ParamName, "ParamName");
            }
            Assert.Equal("username", Assert.Throws<ArgumentNullException>(() => s.Login(null, "p")).ParamName, "Login username");
            Assert.Equal("password", Assert.Throws<ArgumentNullException>(() => s.Login("u", null)).ParamName, "Login password");
            Assert.Equal("username", Assert.Throws<ArgumentNullException>(() => s.LoadToken("/tmp/x", null, TimeSpan.Zero)).ParamName, "LoadToken");
            Assert.Equal("baseUrl", Assert.Throws<ArgumentNullException>(() => EtnaSession.ForgetToken("/tmp/x", null, "u")).ParamName, "ForgetToken");
            // And on a live session nothing is sent.
            using (var server = new ScriptedServer("ok"))
            using (var live = new EtnaSession(server.Url, "k"))
            {
                Assert.Throws<ArgumentNullException>(() => live.Login("u", null));
                Assert.Throws<ArgumentNullException>(() => live.BeginAuth(null, "p"));
                Assert.Equal(0, server.Requests, "requests");
            }
        }

        // -- secrets ------------------------------------------------------------------

        private const string Password = "S3cret-Passw0rd-xyzzy";
        private const string Pin = "8642";

        private static void NoSecrets(Exception e, params string[] secrets)
        {
            for (Exception x = e; x != null; x = x.InnerException)
            {
                foreach (string secret in secrets)
                {
                    Assert.NotContains(x.Message, secret, x.GetType().Name + ".Message");
                    Assert.NotContains(x.ToString(), secret, x.GetType().Name + ".ToString()");
                }
            }
        }

        [Test]
        public static void NoSecretInExceptionsOrToString()
        {
            string config = "{\"app_key\": \"app-key-secretish\", \"accounts\": [{\"username\": \"frank\", \"password\": \"" + Password + "\", \"pin\": \"" + Pin + "\"}]}";
            using (var sandbox = new EtnaSandbox(config))
            using (var s = new EtnaSession(sandbox.Url, sandbox.AppKey))
            {
                var secrets = new List<string> { Password, Pin, "9753" };
                NoSecrets(Assert.Throws<EtnaCredentialsException>(() => s.Login("frank", Password + "-wrong")), Password);
                NoSecrets(Assert.Throws<EtnaRejectedException>(() => s.Login("frank", Password, pin: r => "9753")), secrets.ToArray());
                NoSecrets(Assert.Throws<EtnaArgumentException>(() => s.Login("frank", Password + "\n")), Password);
                NoSecrets(Assert.Throws<ArgumentException>(() => s.Login("frank", Password + "\0")), Password);
                NoSecrets(Assert.Throws<EtnaCancelledException>(() => s.Login("frank", Password)), secrets.ToArray()); // no pin callback
                Assert.Equal(AuthStep.NeedPin, s.BeginAuth("frank", Password));
                NoSecrets(Assert.Throws<EtnaArgumentException>(() => s.SupplyPin(Pin + "\r\n")), Pin);
                Assert.Equal(AuthStep.Done, s.SupplyPin(Pin));
                string token = s.Token;
                secrets.Add(token);
                NoSecrets(Assert.Throws<EtnaStateException>(() => s.SupplyPin(Pin)), secrets.ToArray());
                // The server's address out first: its port (48642, say) could hold the PIN's digits.
                foreach (string text in new[] { s.ToString(), sandbox.ToString() })
                    foreach (string secret in secrets.Concat(new[] { "app-key-secretish" }))
                        Assert.NotContains(text.Replace(sandbox.Url, "<url>"), secret, "ToString()");
                s.Dispose();
                foreach (string secret in secrets)
                    Assert.NotContains(s.ToString().Replace(sandbox.Url, "<url>"), secret, "ToString() after Dispose");
            }
            using (var server = new ScriptedServer("no-token"))
                NoSecrets(Assert.Throws<EtnaProtocolException>(() => Fixtures.LoginAgainst(server, password: Password)), Password);
            using (var server = new ScriptedServer("busy"))
                NoSecrets(Assert.Throws<EtnaServerException>(() => Fixtures.LoginAgainst(server, password: Password)), Password);
        }

        [Test]
        public static void ToStringShowsTheUrlAndState()
        {
            using (var s = Fixtures.Session())
                Assert.Equal("EtnaSession(" + Fixtures.Sandbox.Url + ", open)", s.ToString(), "ToString");
            Assert.Equal("EtnaSandbox(" + Fixtures.Sandbox.Url + ", running)", Fixtures.Sandbox.ToString(), "ToString");
        }
    }
}
