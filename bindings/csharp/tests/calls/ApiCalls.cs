using System;
using System.Threading;
using System.Threading.Tasks;
using EtnaAuth;

/// <summary>
/// The calls that stopped compiling (CS0121, ambiguous) when the CancellationToken-aware callback
/// overloads came (issue 30), and the 0.1 API's LoginAsync, written as users wrote them: compiled
/// with mcs against the built EtnaAuth.dll (the public API only, as a user's program), then run
/// against the sandbox on each runtime, to check that each call also means what it says. The
/// build is the compile test: a call that became ambiguous again fails run_tests.sh there.
/// </summary>
/// <remarks>
/// A null password asks for a stored token only, in the default store: ETNA_AUTH_STORE (set by
/// run_tests.sh) must name a fresh temporary token file, never the user's.
/// Prints "NAME: N passed, M failed" (NAME: the first argument); exit code 0 when all passed.
/// </remarks>
public static class ApiCalls
{
    private static int passed;
    private static int failed;

    public static int Main(string[] args)
    {
        string name = args.Length > 0 ? args[0] : "calls";
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ETNA_AUTH_STORE")))
        {
            Console.Error.WriteLine(name + ": ETNA_AUTH_STORE must name a temporary token file (run_tests.sh sets it)");
            return 2;
        }
        try
        {
            Run();
        }
        catch (Exception e)
        {
            Console.WriteLine("FAIL (the run stopped): " + e);
            failed++;
        }
        Console.WriteLine(name + ": " + passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    private static void Run()
    {
        using (var sandbox = new EtnaSandbox())
        using (var s = sandbox.NewSession())
        using (var cts = new CancellationTokenSource())
        {
            string user = "alice", password = "alice-pass";
            CancellationToken ct = cts.Token;
            Func<Func<bool>, Func<bool>> nothingSent = test => () =>
            {
                long before = sandbox.RequestCount;
                return test() && sandbox.RequestCount == before;
            };

            // --- The calls of issue 30 that were ambiguous (CS0121) ---
            Check("s.LoginAsync(user, password, null, null, ct): a login without callbacks",
                () => IsToken(s.LoginAsync(user, password, null, null, ct).Result));
            Check("s.AcquireToken(\"alice\", null): nothing stored, so EtnaCancelledException, nothing sent",
                nothingSent(() => Throws<EtnaCancelledException>(() => s.AcquireToken("alice", null))));
            string stored = s.AcquireToken(user, password); // one login, its token stored
            Check("s.AcquireToken(\"alice\", null): the stored token, nothing sent",
                nothingSent(() => s.AcquireToken("alice", null) == stored));
            bool codeAsked = false;
            Check("s.AcquireToken(user, password: null, code: ...): the stored token, no callback called",
                nothingSent(() => s.AcquireToken(user, password: null, code: r => { codeAsked = true; return "123456"; }) == stored && !codeAsked));
            Check("s.AcquireTokenAsync(user, null, cancellationToken: ct): the stored token",
                nothingSent(() => s.AcquireTokenAsync(user, null, cancellationToken: ct).Result == stored));

            // --- The 0.1 API: LoginAsync(string, string, Func<string, Task<string>>, Func<string, Task<string>>, CancellationToken) ---
            Func<string, string, Func<string, Task<string>>, Func<string, Task<string>>, CancellationToken, Task<string>> v01 = s.LoginAsync;
            Check("the 0.1 LoginAsync as a delegate: bob with his PIN",
                () => IsToken(v01("bob", "bob-pass", r => Task.FromResult("1234"), null, ct).Result));
            Func<string, Task<string>> pin = r => Task.FromResult("4321"); // dave's
            Func<string, Task<string>> code = r => Task.FromResult("654321");
            Check("s.LoginAsync(\"dave\", \"dave-pass\", pin, code, ct)", () => IsToken(s.LoginAsync("dave", "dave-pass", pin, code, ct).Result));
            Check("s.LoginAsync(\"bob\", \"bob-pass\", r => Task.FromResult(\"1234\"))", () => IsToken(s.LoginAsync("bob", "bob-pass", r => Task.FromResult("1234")).Result));
            Check("s.LoginAsync(\"dave\", \"dave-pass\", pin: pin, code: code, cancellationToken: ct)", () => IsToken(s.LoginAsync("dave", "dave-pass", pin: pin, code: code, cancellationToken: ct).Result));
            Check("s.LoginAsync(user, password)", () => IsToken(s.LoginAsync(user, password).Result));
            Check("s.LoginAsync(user, password, null)", () => IsToken(s.LoginAsync(user, password, null).Result));
            Check("s.LoginAsync(user, password, null, null)", () => IsToken(s.LoginAsync(user, password, null, null).Result));
            Check("s.LoginAsync(user, password, cancellationToken: ct)", () => IsToken(s.LoginAsync(user, password, cancellationToken: ct).Result));
            Check("s.LoginAsync(\"bob\", \"bob-pass\") without the PIN callback: EtnaCancelledException",
                () => Throws<EtnaCancelledException>(() => s.LoginAsync("bob", "bob-pass").GetAwaiter().GetResult()));

            // --- The new names and parameters ---
            CancellationToken seen = CancellationToken.None;
            Check("s.LoginWithCancellableCallbacksAsync(\"bob\", \"bob-pass\", (r, t) => ..., null, ct): the callback gets ct",
                () => IsToken(s.LoginWithCancellableCallbacksAsync("bob", "bob-pass", (r, t) => { seen = t; return Task.FromResult("1234"); }, null, ct).Result) && seen == ct);
            Check("s.LoginWithCancellableCallbacksAsync(user, password, null, null, ct)", () => IsToken(s.LoginWithCancellableCallbacksAsync(user, password, null, null, ct).Result));
            Check("s.Login(user, password, cancellationToken: ct)", () => IsToken(s.Login(user, password, cancellationToken: ct)));
            Check("s.Login(user, password, null, null, ct)", () => IsToken(s.Login(user, password, null, null, ct)));
            Check("s.Login(user, password, null, null, a cancelled token): OperationCanceledException, nothing sent",
                nothingSent(() => Throws<OperationCanceledException>(() => s.Login(user, password, null, null, new CancellationToken(true)))));
            Check("s.AcquireToken(user, password, cancellationToken: ct): the stored token", () => s.AcquireToken(user, password, cancellationToken: ct) == stored);
            Check("s.AcquireTokenWithPasswordPrompt(user, r => password): the stored token", () => s.AcquireTokenWithPasswordPrompt(user, r => password) == stored);
            Check("s.AcquireTokenWithPasswordPromptAsync(user, r => Task.FromResult(password))",
                () => s.AcquireTokenWithPasswordPromptAsync(user, r => Task.FromResult(password)).Result == stored);
            Check("s.AcquireTokenWithPasswordPromptAsync(user, (r, t) => Task.FromResult(password), cancellationToken: ct)",
                () => s.AcquireTokenWithPasswordPromptAsync(user, (r, t) => Task.FromResult(password), cancellationToken: ct).Result == stored);
            Check("s.AcquireTokenWithCancellableCallbacksAsync(user, null, cancellationToken: ct)",
                nothingSent(() => s.AcquireTokenWithCancellableCallbacksAsync(user, null, cancellationToken: ct).Result == stored));
            Check("s.TryLoadToken(EtnaSession.DefaultStore, user, TimeSpan.Zero)", () => s.TryLoadToken(EtnaSession.DefaultStore, user, TimeSpan.Zero) && s.Token == stored);
            Check("s.TryLoadToken(EtnaSession.DefaultStore, \"nobody\", TimeSpan.Zero): false", () => !s.TryLoadToken(EtnaSession.DefaultStore, "nobody", TimeSpan.Zero));
        }
    }

    /// <summary>Runs one check; an exception fails it (and is shown), the others still run.</summary>
    private static void Check(string call, Func<bool> test)
    {
        bool ok;
        try
        {
            ok = test();
        }
        catch (Exception e)
        {
            Console.WriteLine("  " + e.GetType().Name + ": " + e.Message);
            ok = false;
        }
        Console.WriteLine((ok ? "PASS " : "FAIL ") + call);
        if (ok)
            passed++;
        else
            failed++;
    }

    private static bool IsToken(string token)
    {
        return !string.IsNullOrEmpty(token);
    }

    private static bool Throws<T>(Action call) where T : Exception
    {
        try
        {
            call();
            return false;
        }
        catch (T)
        {
            return true;
        }
    }

}
