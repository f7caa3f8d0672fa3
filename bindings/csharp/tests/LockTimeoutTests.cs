using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// EtnaSession.LockTimeout (etna_set_lock_timeout_ms): its default and range, and a real wait
    /// for another session's login lock that gives up when it says. (Its refusal on the context of
    /// a login in flight is in ReentrancyTests, after disposal in LifecycleTests.)
    /// </summary>
    public static class LockTimeoutTests
    {
        private const int Bound = 15000; // ms: far beyond every step here, so a failure is a hang

        [Test]
        public static void TheDefaultIsTheHeadersTwoMinutes()
        {
            using (var s = new EtnaSession("http://127.0.0.1:9/api", "k"))
            {
                Assert.Equal(StatusTableTests.HeaderMilliseconds("ETNA_DEFAULT_LOCK_TIMEOUT_MS"), s.LockTimeout, "a new session's LockTimeout");
                Assert.Equal(TimeSpan.FromSeconds(120), s.LockTimeout, "two minutes");
            }
        }

        [Test]
        public static void SettingAndItsRange()
        {
            using (var s = new EtnaSession("http://127.0.0.1:9/api", "k"))
            {
                s.LockTimeout = TimeSpan.FromMilliseconds(1500);
                Assert.Equal(TimeSpan.FromMilliseconds(1500), s.LockTimeout, "LockTimeout");
                s.LockTimeout = TimeSpan.Zero; // no wait: allowed, unlike Timeout
                Assert.Equal(TimeSpan.Zero, s.LockTimeout, "zero");
                s.LockTimeout = TimeSpan.FromMilliseconds(uint.MaxValue);
                s.LockTimeout = TimeSpan.FromTicks(1); // rounded up to 1 ms
                Assert.Throws<ArgumentOutOfRangeException>(() => { s.LockTimeout = TimeSpan.FromSeconds(-1); });
                Assert.Throws<ArgumentOutOfRangeException>(() => { s.LockTimeout = TimeSpan.FromTicks(-1); }); // not rounded to 0
                Assert.Throws<ArgumentOutOfRangeException>(() => { s.LockTimeout = TimeSpan.FromDays(60); });
                Assert.Throws<ArgumentOutOfRangeException>(() => { s.LockTimeout = TimeSpan.MaxValue; });
                Assert.Equal(TimeSpan.FromTicks(1), s.LockTimeout, "unchanged by refused values");
                Assert.Equal(TimeSpan.FromSeconds(30), s.Timeout, "Timeout is another setting");
            }
        }

        /// <summary>
        /// One session logs in and holds the login lock while its password callback waits; a second
        /// session (as another process would) for the same store and user gives up after its
        /// LockTimeout with EtnaTimeoutException naming the lock file, at once with zero; once
        /// the first login ends, the second takes its stored token.
        /// </summary>
        [Test]
        public static void AWaitForAnotherLoginGivesUpAfterTheLockTimeout()
        {
            var sent = new AcquireTests.Sent(Fixtures.Sandbox);
            using (var store = new AcquireTests.TempStore())
            using (var holder = Fixtures.Session())
            using (var waiter = Fixtures.Session())
            using (var asked = new ManualResetEventSlim())
            using (var release = new ManualResetEventSlim())
            {
                Task<string> first = Task.Run(() => holder.AcquireTokenWithPasswordPrompt("alice", r =>
                {
                    asked.Set();
                    release.Wait(Bound);
                    return "alice-pass";
                }, store: store.File));
                try
                {
                    Assert.True(asked.Wait(Bound), "the first login asks for the password, holding the login lock");
                    string[] locks = Directory.GetFiles(Path.GetDirectoryName(store.File), "tokens.json.login-*.lock");
                    Assert.Equal(1, locks.Length, "one login lock file");

                    waiter.LockTimeout = TimeSpan.FromSeconds(1);
                    var clock = Stopwatch.StartNew();
                    var e = Assert.Throws<EtnaTimeoutException>(() => waiter.AcquireToken("alice", "alice-pass", store: store.File));
                    long waited = clock.ElapsedMilliseconds;
                    Assert.True(waited >= 900 && waited < 5000, "gave up after about 1 s: " + waited + " ms");
                    Assert.Equal(EtnaStatus.Timeout, e.Status, "Status");
                    Assert.Contains(locks[0], e.Message, "the message names the lock file");
                    Assert.Contains("gave up after 1 s", e.Message);
                    Assert.NotContains(e.Message, "alice-pass", "the message");

                    waiter.LockTimeout = TimeSpan.Zero;
                    clock.Restart();
                    e = Assert.Throws<EtnaTimeoutException>(() => waiter.AcquireToken("alice", "alice-pass", store: store.File));
                    Assert.True(clock.ElapsedMilliseconds < 900, "no wait: " + clock.ElapsedMilliseconds + " ms");
                    Assert.Contains("did not wait", e.Message);
                    Assert.Contains(locks[0], e.Message, "the message names the lock file");
                    Assert.Throws<EtnaStateException>(() => { var t = waiter.Token; });
                    Assert.Equal(0L, sent.Since(), "nothing sent while the first login waits for its password");
                }
                finally
                {
                    release.Set();
                }
                Assert.True(first.Wait(Bound), "the first login ended");
                Fixtures.AssertToken(first.Result);
                Assert.Equal(1L, sent.Since(), "the first login");
                waiter.LockTimeout = TimeSpan.FromSeconds(1);
                Assert.Equal(first.Result, waiter.AcquireToken("alice", store: store.File), "the stored token, once the lock is free");
                Assert.Equal(0L, sent.Since(), "nothing sent");
            }
        }
    }
}
