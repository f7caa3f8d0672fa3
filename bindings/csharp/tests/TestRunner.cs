using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth.Tests
{
    /// <summary>Marks a test: a public static void method without parameters.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class TestAttribute : Attribute
    {
    }

    public sealed class AssertionException : Exception
    {
        public AssertionException(string message) : base(message) { }
    }

    public static class Assert
    {
        public static void True(bool condition, string what)
        {
            if (!condition)
                throw new AssertionException("expected: " + what);
        }

        public static void Equal<T>(T expected, T actual, string what = null)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new AssertionException((what == null ? "" : what + ": ") + "expected <" + expected + ">, got <" + actual + ">");
        }

        public static void NotContains(string haystack, string needle, string what)
        {
            if (haystack != null && needle.Length > 0 && haystack.IndexOf(needle, StringComparison.Ordinal) >= 0)
                throw new AssertionException(what + " contains a secret");
        }

        public static void Contains(string needle, string haystack, string what = null)
        {
            if (haystack == null || haystack.IndexOf(needle, StringComparison.Ordinal) < 0)
                throw new AssertionException((what == null ? "" : what + ": ") + "<" + needle + "> not found in <" + haystack + ">");
        }

        /// <summary>Runs <paramref name="action"/> and returns the exception, which must be exactly a <typeparamref name="T"/>.</summary>
        public static T Throws<T>(Action action) where T : Exception
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                if (e.GetType() != typeof(T))
                    throw new AssertionException("expected " + typeof(T).Name + ", got " + e.GetType().Name + ": " + e.Message);
                return (T)e;
            }
            throw new AssertionException("expected " + typeof(T).Name + ", nothing was thrown");
        }

        public static T Throws<T>(Func<object> func) where T : Exception
        {
            return Throws<T>(() => { func(); });
        }

        /// <summary>The exception a Task ended with, as <c>await</c> would throw it.</summary>
        public static Exception Failure(Task task)
        {
            try
            {
                task.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                return e;
            }
            throw new AssertionException("the task succeeded");
        }
    }

    /// <summary>
    /// A tiny test runner: every [Test] method of this assembly, in source order, each on its
    /// own thread under a watchdog. Prints one line per test and then
    /// "RUNTIME: N passed, M failed" (RUNTIME is mono, coreclr, net8 or netfx; run_tests.sh adds the
    /// runtimes' counts up into one plain "N passed, M failed" line); the exit code is 1 when
    /// anything failed.
    /// </summary>
    public static class TestRunner
    {
        private static readonly TimeSpan PerTest = TimeSpan.FromSeconds(60);

        /// <summary>mono, coreclr (.NET Core 3.x and older), netN (.NET N, 5 and later: net8) or netfx (.NET Framework).</summary>
        public static string RuntimeName
        {
            get
            {
                if (Type.GetType("Mono.Runtime") != null)
                    return "mono";
                string d = RuntimeInformation.FrameworkDescription;
                if (d.StartsWith(".NET Framework", StringComparison.Ordinal))
                    return "netfx";
                if (d.StartsWith(".NET Core", StringComparison.Ordinal))
                    return "coreclr";
                return "net" + Environment.Version.Major;
            }
        }

        public static int Main(string[] args)
        {
            string filter = args.Length > 0 ? args[0] : null;
            var tests = typeof(TestRunner).Assembly.GetTypes()
                .OrderBy(t => t.FullName, StringComparer.Ordinal)
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static)
                    .Where(m => m.GetCustomAttributes(typeof(TestAttribute), false).Length > 0)
                    .OrderBy(m => m.MetadataToken))
                .Where(m => filter == null || (m.DeclaringType.Name + "." + m.Name).IndexOf(filter, StringComparison.OrdinalIgnoreCase) >= 0)
                .ToList();

            Console.WriteLine("etna-auth C# binding tests on " + RuntimeInformation.FrameworkDescription
                + " (" + RuntimeName + "): native library " + EtnaLibrary.Version + ", " + tests.Count + " tests");
            int passed = 0, failed = 0;
            bool hung = false;
            var total = Stopwatch.StartNew();
            foreach (MethodInfo test in tests)
            {
                string name = test.DeclaringType.Name + "." + test.Name;
                Exception error = null;
                var watch = Stopwatch.StartNew();
                var thread = new Thread(() =>
                {
                    try
                    {
                        test.Invoke(null, null);
                    }
                    catch (TargetInvocationException e)
                    {
                        error = e.InnerException;
                    }
                    catch (Exception e)
                    {
                        error = e;
                    }
                });
                thread.IsBackground = true;
                thread.Start();
                if (!thread.Join(PerTest))
                {
                    hung = true;
                    error = new TimeoutException("still running after " + PerTest.TotalSeconds + " s");
                }
                watch.Stop();
                if (error == null)
                {
                    passed++;
                    Console.WriteLine("PASS " + name + " (" + watch.ElapsedMilliseconds + " ms)");
                }
                else
                {
                    failed++;
                    Console.WriteLine("FAIL " + name + ": " + error.GetType().Name + ": " + error.Message);
                    if (!(error is AssertionException))
                        Console.WriteLine(error);
                }
            }
            Console.WriteLine("(" + total.Elapsed.TotalSeconds.ToString("0.0") + " s)");
            Console.WriteLine(RuntimeName + ": " + passed + " passed, " + failed + " failed");
            Console.Out.Flush();
            if (hung)
                Environment.Exit(1); // a hung test thread must not keep the process alive
            return failed == 0 ? 0 : 1;
        }
    }
}
