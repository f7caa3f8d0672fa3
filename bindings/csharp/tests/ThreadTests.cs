using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;

namespace EtnaAuth.Tests
{
    /// <summary>Sessions from many threads.</summary>
    public static class ThreadTests
    {
        private static void RunThreads(int count, Action<int> body)
        {
            var errors = new ConcurrentQueue<Exception>();
            var start = new ManualResetEvent(false);
            var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
            {
                start.WaitOne();
                try { body(i); }
                catch (Exception e) { errors.Enqueue(e); }
            })).ToList();
            threads.ForEach(t => t.Start());
            start.Set();
            foreach (var t in threads)
                Assert.True(t.Join(30000), "thread finished");
            Exception first;
            if (errors.TryPeek(out first))
                throw new AssertionException(errors.Count + " thread(s) failed, first: " + first);
        }

        private static string LoginAs(EtnaSession s, int i)
        {
            switch (i % 5)
            {
                case 0: return s.Login("alice", "alice-pass");
                case 1: return s.Login("bob", "bob-pass", pin: r => "1234");
                case 2: return s.Login("carol", "carol-pass", code: r => "123456");
                case 3: return s.Login("dave", "dave-pass", pin: r => "4321", code: r => "654321");
                default: return s.Login("jürgen", "pässwörd-ß");
            }
        }

        [Test]
        public static void ParallelLoginsOnSeparateSessions()
        {
            var tokens = new ConcurrentBag<string>();
            RunThreads(16, i =>
            {
                using (var s = Fixtures.Session())
                    for (int k = 0; k < 5; k++)
                        tokens.Add(LoginAs(s, i + k));
            });
            Assert.Equal(80, tokens.Count, "tokens");
            Assert.Equal(80, tokens.Distinct().Count(), "distinct tokens");
        }

        [Test]
        public static void ParallelWrongFactorsSeeTheirOwnReasons()
        {
            // The Reason is thread-local in the library; each thread's callback must see its own.
            var reasons = new ConcurrentBag<string>();
            RunThreads(12, i =>
            {
                using (var s = Fixtures.Session())
                {
                    if (i % 2 == 0)
                    {
                        int n = 0;
                        s.Login("bob", "bob-pass", pin: r => { if (n++ > 0) reasons.Add("pin:" + r); return n == 1 ? "0000" : "1234"; });
                    }
                    else
                    {
                        int n = 0;
                        s.Login("carol", "carol-pass", code: r => { if (n++ > 0) reasons.Add("code:" + r); return n == 1 ? "000000" : "123456"; });
                    }
                }
            });
            Assert.Equal(12, reasons.Count, "second asks");
            foreach (string r in reasons)
                Assert.True(r == "pin:Invalid pin" || r == "code:Invalid verification code", "a matching reason, got " + r);
        }

        [Test]
        public static void OneSessionSharedByManyThreads()
        {
            // One login at a time per session: one thread logs in again and again while others read
            // the token. A reader sees a whole token or, while a login is between its start and its
            // success, no token (EtnaStateException, ExpiresAt null); never a torn one.
            using (var s = Fixtures.Session())
            {
                var tokens = new ConcurrentBag<string>();
                var seen = new ConcurrentBag<string>();
                int done = 0;
                string last = null;
                RunThreads(7, i =>
                {
                    if (i == 0)
                    {
                        try
                        {
                            for (int k = 0; k < 30; k++)
                            {
                                last = LoginAs(s, k);
                                tokens.Add(last);
                            }
                        }
                        finally
                        {
                            Volatile.Write(ref done, 1);
                        }
                        return;
                    }
                    while (Volatile.Read(ref done) == 0)
                    {
                        try
                        {
                            seen.Add(s.Token);
                        }
                        catch (EtnaStateException)
                        {
                        }
                        DateTimeOffset? expires = s.ExpiresAt;
                        Assert.True(expires == null || expires.Value > DateTimeOffset.UtcNow.AddHours(23), "ExpiresAt null or a day ahead");
                    }
                });
                Assert.Equal(30, tokens.Count, "logins");
                Assert.True(seen.All(t => tokens.Contains(t)), "every token read is one a login returned");
                Assert.Equal(last, s.Token, "the last login's token stays");
            }
        }

        [Test]
        public static void DisposeRacingWithCallsNeverCrashes()
        {
            for (int round = 0; round < 20; round++)
            {
                var s = Fixtures.Session();
                RunThreads(4, i =>
                {
                    try
                    {
                        if (i == 0)
                        {
                            Thread.Sleep(round % 5);
                            s.Dispose();
                        }
                        else
                        {
                            for (int k = 0; k < 3; k++)
                                s.Login("alice", "alice-pass");
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                    }
                    catch (EtnaCancelledException)
                    {
                        // Dispose cancelled the call in flight
                    }
                    catch (EtnaStateException)
                    {
                        // a cancelled BeginAuth dropped the token another thread's Login was about to read
                    }
                });
                Assert.True(s.IsDisposed, "disposed");
            }
        }

        [Test]
        public static void SandboxesInParallel()
        {
            RunThreads(4, i =>
            {
                using (var sandbox = new EtnaSandbox())
                using (var s = sandbox.NewSession())
                {
                    Fixtures.AssertToken(s.Login("dave", "dave-pass", pin: r => "4321", code: r => "654321"));
                    Assert.Equal(1L, sandbox.ConnectionCount, "connections");
                }
            });
        }
    }
}
