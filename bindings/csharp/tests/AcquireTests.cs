using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// AcquireToken / AcquireTokenAsync against the sandbox (real sockets): the stored token or one
    /// login, counted with the sandbox's request count; the stores; the password as a string or a callback.
    /// </summary>
    public static class AcquireTests
    {
        /// <summary>A fresh folder, deleted afterwards; its token file does not exist yet (also for LockTimeoutTests).</summary>
        internal sealed class TempStore : IDisposable
        {
            internal readonly string Folder = Path.Combine(Path.GetTempPath(), "etna-acquire-" + Guid.NewGuid().ToString("N"));

            /// <summary>A token file in a folder that does not exist yet.</summary>
            internal string File
            {
                get { return Path.Combine(Folder, "etna", "tokens.json"); }
            }

            public void Dispose()
            {
                if (Directory.Exists(Folder))
                    Directory.Delete(Folder, true);
            }
        }

        /// <summary>The requests the sandbox received since the last call.</summary>
        internal sealed class Sent
        {
            private readonly EtnaSandbox sandbox;
            private long seen;

            internal Sent(EtnaSandbox sandbox)
            {
                this.sandbox = sandbox;
                seen = sandbox.RequestCount;
            }

            internal long Since()
            {
                long now = sandbox.RequestCount;
                long sent = now - seen;
                seen = now;
                return sent;
            }
        }

        /// <summary>
        /// Runs <paramref name="test"/> with a fresh session, an empty token store, and the count of
        /// the requests the shared sandbox receives from now on.
        /// </summary>
        private static void WithStore(Action<EtnaSession, TempStore, Sent> test)
        {
            var sent = new Sent(Fixtures.Sandbox);
            using (var store = new TempStore())
            using (var s = Fixtures.Session())
                test(s, store, sent);
        }

        // The native environment, which the library reads (.NET Core's Environment.SetEnvironmentVariable
        // changes only a managed copy on Unix).
        [DllImport("libc", SetLastError = true)]
        private static extern int setenv(string name, string value, int overwrite);

        [DllImport("libc", SetLastError = true)]
        private static extern int unsetenv(string name);

        [DllImport("libc")]
        private static extern IntPtr getenv(string name);

        /// <summary>Sets (or with null removes) native environment variables until disposed.</summary>
        private sealed class NativeEnv : IDisposable
        {
            private readonly Dictionary<string, string> saved = new Dictionary<string, string>();

            internal NativeEnv Set(string name, string value)
            {
                if (!saved.ContainsKey(name))
                {
                    IntPtr old = getenv(name);
                    saved[name] = old == IntPtr.Zero ? null : Marshal.PtrToStringAnsi(old);
                }
                Assert.Equal(0, value == null ? unsetenv(name) : setenv(name, value, 1), "setenv " + name);
                return this;
            }

            public void Dispose()
            {
                foreach (var pair in saved)
                {
                    if (pair.Value == null)
                        unsetenv(pair.Key);
                    else
                        setenv(pair.Key, pair.Value, 1);
                }
            }
        }

        [Test]
        public static void AnEmptyStoreLogsInAndStoresThenNothingIsSent()
        {
            var sent = new Sent(Fixtures.Sandbox);
            using (var store = new TempStore())
            {
                string token;
                using (var s = Fixtures.Session())
                {
                    token = s.AcquireToken("alice", "alice-pass", store: store.File);
                    Fixtures.AssertToken(token);
                    Assert.Equal(token, s.Token, "Token");
                    Assert.True(s.ExpiresAt.HasValue, "ExpiresAt");
                }
                Assert.Equal(1L, sent.Since(), "requests of the login");
                Assert.True(File.Exists(store.File), "the token file was written");
                using (var s = Fixtures.Session()) // another session, as another process would be
                {
                    Assert.Equal(token, s.AcquireToken("alice", "alice-pass", store: store.File), "the stored token");
                    Assert.Equal(token, s.Token, "Token");
                }
                Assert.Equal(0L, sent.Since(), "requests of the second acquire");
            }
        }

        [Test]
        public static void MinValidLongerThanWhatIsLeftForcesALogin()
        {
            TimeSpan day = TimeSpan.FromHours(24);
            WithStore((s, store, sent) =>
            {
                string first = s.AcquireToken("alice", "alice-pass", store: store.File, minValid: day);
                Assert.Equal(1L, sent.Since(), "first login");
                Thread.Sleep(1100); // the stored token has less than 24 h left now
                Assert.Equal(first, s.AcquireToken("alice", "alice-pass", store: store.File), "still valid for 5 min");
                Assert.Equal(0L, sent.Since(), "nothing sent");
                string second = s.AcquireToken("alice", "alice-pass", store: store.File, minValid: day);
                Assert.Equal(1L, sent.Since(), "a new login");
                Assert.True(second != first, "a new token");
                Assert.Equal(second, s.AcquireToken("alice", store: store.File), "the new token is stored");
                Assert.Equal(0L, sent.Since(), "nothing sent");
                Assert.Throws<EtnaArgumentException>(() => s.AcquireToken("alice", "alice-pass", store: store.File, minValid: day + TimeSpan.FromSeconds(1)));
                Assert.Throws<ArgumentOutOfRangeException>(() => s.AcquireToken("alice", "alice-pass", store: store.File, minValid: TimeSpan.FromSeconds(-1)));
                Assert.Equal(0L, sent.Since(), "nothing sent for refused arguments");
            });
        }

        [Test]
        public static void ThePasswordCallbackIsCalledOnlyWhenALoginIsNeeded()
        {
            var sent = new Sent(Fixtures.Sandbox);
            using (var store = new TempStore())
            {
                var reasons = new List<string>();
                string token;
                using (var s = Fixtures.Session())
                    token = s.AcquireTokenWithPasswordPrompt("alice", r => { reasons.Add(r); return "alice-pass"; }, store: store.File);
                Assert.Equal(1, reasons.Count, "asked once");
                Assert.Contains("login is needed", reasons[0], "the library's reason");
                Assert.Equal(1L, sent.Since(), "one login");
                using (var s = Fixtures.Session())
                    Assert.Equal(token, s.AcquireTokenWithPasswordPrompt("alice", r => { reasons.Add(r); return "alice-pass"; }, store: store.File), "stored");
                Assert.Equal(1, reasons.Count, "not asked with a valid stored token");
                Assert.Equal(0L, sent.Since(), "nothing sent");
            }
        }

        [Test]
        public static void NoPasswordAndNoCallbackGivesUpWithoutSending()
        {
            WithStore((s, store, sent) =>
            {
                var e = Assert.Throws<EtnaCancelledException>(() => s.AcquireToken("alice", store: store.File));
                Assert.Contains("password", e.Message, "the message names the password");
                Assert.Throws<EtnaCancelledException>(() => s.AcquireTokenWithPasswordPrompt("alice", r => null, store: store.File));
                Assert.Throws<EtnaStateException>(() => { var t = s.Token; });
                Assert.Equal(0L, sent.Since(), "nothing sent");
                Assert.True(!File.Exists(store.File), "nothing stored");
            });
        }

        [Test]
        public static void ARefusedPasswordIsNotTriedAgain()
        {
            WithStore((s, store, sent) =>
            {
                int asked = 0;
                Assert.Throws<EtnaCredentialsException>(() => s.AcquireTokenWithPasswordPrompt("alice", r => { asked++; return "wrong-pass"; }, store: store.File));
                Assert.Equal(1, asked, "asked once");
                Assert.Equal(1L, sent.Since(), "one request");
                Assert.Throws<EtnaCredentialsException>(() => s.AcquireToken("alice", "wrong-pass", store: store.File));
                Assert.Equal(1L, sent.Since(), "one request");
                Assert.Throws<EtnaStateException>(() => s.SupplyPin("1234")); // the login was ended
                Assert.Equal(0L, sent.Since(), "nothing sent");
            });
        }

        [Test]
        public static void SecondFactorsAsForLogin()
        {
            WithStore((s, store, sent) =>
            {
                var thrown = new InvalidOperationException("dialog failed");
                Assert.True(ReferenceEquals(thrown, Assert.Throws<InvalidOperationException>(
                    () => s.AcquireTokenWithPasswordPrompt("alice", r => { throw thrown; }, store: store.File))), "a callback's exception, unchanged");
                Assert.Equal(0L, sent.Since(), "nothing sent");
                Fixtures.AssertToken(s.AcquireToken("dave", "dave-pass", r => "4321", r => "654321", store.File));
                Assert.Equal(3L, sent.Since(), "password, PIN, code");
            });
        }

        [Test]
        public static void TheDefaultStore()
        {
            var sent = new Sent(Fixtures.Sandbox);
            using (var store = new TempStore())
            using (new NativeEnv().Set("XDG_CONFIG_HOME", store.Folder).Set("ETNA_AUTH_STORE", null))
            {
                string expected = Path.Combine(store.Folder, "etna-auth", "tokens.json");
                Assert.Equal(expected, EtnaSession.DefaultStore, "DefaultStore");
                string token;
                using (var s = Fixtures.Session())
                    token = s.AcquireToken("alice", "alice-pass");
                Assert.Equal(1L, sent.Since(), "one login");
                Assert.True(File.Exists(expected), "stored in the default store");
                using (var s = Fixtures.Session())
                    Assert.Equal(token, s.AcquireToken("alice", store: expected), "the same store");
                Assert.Equal(0L, sent.Since(), "nothing sent");
                using (new NativeEnv().Set("ETNA_AUTH_STORE", EtnaSession.KeyringStore))
                    Assert.Equal("keyring", EtnaSession.DefaultStore, "ETNA_AUTH_STORE");
            }
        }

        [Test]
        public static void KeyringWithoutASecretServiceIsTheLibrarysIOError()
        {
            var sent = new Sent(Fixtures.Sandbox);
            using (var store = new TempStore())
            using (new NativeEnv().Set("XDG_CONFIG_HOME", store.Folder).Set("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + Path.Combine(store.Folder, "no-bus")))
            using (var s = Fixtures.Session())
            {
                var e = Assert.Throws<EtnaIOException>(() => s.AcquireToken("alice", "alice-pass", store: EtnaSession.KeyringStore));
                Assert.Equal(EtnaStatus.IO, e.Status, "Status");
                Assert.NotContains(e.Message, "alice-pass", "the message");
                Assert.Equal(0L, sent.Since(), "nothing sent");
            }
        }

        [Test]
        public static void AcquireTokenAsyncWithAsyncCallbacks()
        {
            WithStore((s, store, sent) =>
            {
                int asked = 0;
                Func<string, Task<string>> password = async r => { asked++; await Task.Delay(1); return "dave-pass"; };
                string token = s.AcquireTokenWithPasswordPromptAsync("dave", password, r => Task.FromResult("4321"), r => Task.FromResult("654321"), store.File).GetAwaiter().GetResult();
                Fixtures.AssertToken(token);
                Assert.Equal(3L, sent.Since(), "password, PIN, code");
                Assert.Equal(token, s.AcquireTokenWithPasswordPromptAsync("dave", password, store: store.File).GetAwaiter().GetResult(), "stored");
                Assert.Equal(1, asked, "asked once");
                Assert.Equal(0L, sent.Since(), "nothing sent");
                Assert.True(Assert.Failure(s.AcquireTokenAsync("alice", store: store.File)) is EtnaCancelledException, "no password");
                Assert.True(Assert.Failure(s.AcquireTokenAsync("alice", "wrong-pass", store: store.File)) is EtnaCredentialsException, "refused");
                Assert.Equal(1L, sent.Since(), "one request for the refused password");
            });
        }

        [Test]
        public static void CancellingWhileThePasswordCallbackWaits()
        {
            WithStore((s, store, sent) =>
            {
                using (var cts = new CancellationTokenSource())
                {
                    var asked = new ManualResetEventSlim();
                    var never = new TaskCompletionSource<string>();
                    Task<string> task = s.AcquireTokenWithPasswordPromptAsync("alice", (r, ct) => { asked.Set(); return never.Task; }, store: store.File, cancellationToken: cts.Token);
                    Assert.True(asked.Wait(10000), "the password callback was called");
                    cts.Cancel();
                    var e = Assert.Failure(task);
                    Assert.True(e is OperationCanceledException && ((OperationCanceledException)e).CancellationToken == cts.Token, "cancelled: " + e);
                    Assert.Equal(0L, sent.Since(), "nothing sent");
                    Assert.Throws<EtnaStateException>(() => { var t = s.Token; });
                    // The session is usable, and no cancel is left over for it.
                    Fixtures.AssertToken(s.AcquireTokenAsync("alice", "alice-pass", store: store.File).GetAwaiter().GetResult());
                    Assert.Equal(1L, sent.Since(), "one login");
                    Assert.True(s.AcquireTokenAsync("alice", "alice-pass", store: store.File, cancellationToken: cts.Token).IsCanceled, "a cancelled token: nothing done");
                }
            });
        }
    }
}
