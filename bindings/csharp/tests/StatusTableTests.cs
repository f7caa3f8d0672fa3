using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// The binding's status facts against the one status table, bindings/status_codes.json
    /// (written by capi/build.rs from src/status_table.rs): every column, at run time, on the
    /// assembly under test. generate.py writes EtnaStatus.cs, Exceptions.cs and StatusTable.cs
    /// from it, and run_tests.sh fails when they are stale; these tests check what was compiled,
    /// also for a packaged EtnaAuth.dll.
    /// </summary>
    public static class StatusTableTests
    {
        private static readonly Lazy<List<Dictionary<string, object>>> rows = new Lazy<List<Dictionary<string, object>>>(
            () => ((List<object>)MiniJson.Parse(File.ReadAllText(TablePath(), Encoding.UTF8))).Cast<Dictionary<string, object>>().ToList());

        /// <summary>ETNA_STATUS_TABLE, else bindings/status_codes.json beside the scenario list's repository.</summary>
        private static string TablePath()
        {
            string env = Environment.GetEnvironmentVariable("ETNA_STATUS_TABLE");
            if (!string.IsNullOrEmpty(env))
                return env;
            return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ScenarioTests.ScenarioFile()), "..", "..", "bindings", "status_codes.json"));
        }

        private static IEnumerable<Dictionary<string, object>> Errors()
        {
            return rows.Value.Where(r => Convert.ToInt32(r["code"]) < 0);
        }

        [Test]
        public static void TheTableHasTheHeadersCodes()
        {
            var header = HeaderTests.TheHeader.Statuses;
            Assert.Equal(header.Count, rows.Value.Count, "rows in the table and codes in the header");
            foreach (var r in rows.Value)
            {
                string name = (string)r["name"];
                int code = Convert.ToInt32(r["code"]);
                Assert.Equal(header[name], code, name + " in the header");
                Assert.True(Enum.IsDefined(typeof(EtnaStatus), code), "EtnaStatus has " + name);
                Assert.Equal(name, EtnaException.StatusName((EtnaStatus)code), "StatusName of " + code);
            }
            Assert.Equal(rows.Value.Count, Enum.GetValues(typeof(EtnaStatus)).Length, "EtnaStatus members");
        }

        [Test]
        public static void EachErrorHasTheTablesClassFamilyAndRetry()
        {
            var byName = rows.Value.ToDictionary(r => (string)r["name"]);
            foreach (var r in Errors())
            {
                string name = (string)r["name"];
                var status = (EtnaStatus)Convert.ToInt32(r["code"]);
                EtnaException e = Ensure.ErrorFor((int)status, "the message");
                Assert.Equal((string)r["csharp"], e.GetType().Name, "the class for " + name);
                Assert.Equal(status, e.Status, "Status of " + e.GetType().Name);
                Assert.Equal("the message", e.Message, "Message of " + e.GetType().Name + " (the library's, verbatim)");
                object family = r["family"];
                string parent = family == null ? "EtnaException" : (string)byName[(string)family]["csharp"];
                Assert.Equal(parent, e.GetType().BaseType.Name, "the family of " + e.GetType().Name);
                Assert.Equal((bool)r["retry"], e.RetryCanHelp, "RetryCanHelp of " + e.GetType().Name);
            }
            // Every exception class of the binding stands for one row.
            var classes = new HashSet<string>(Errors().Select(r => (string)r["csharp"]));
            foreach (Type t in typeof(EtnaException).Assembly.GetExportedTypes().Where(t => t.IsSubclassOf(typeof(EtnaException))))
                Assert.True(classes.Contains(t.Name), t.Name + " is the class of a row");
            Assert.True(Ensure.ErrorFor(-1234, "x").GetType() == typeof(EtnaException), "an unknown code gets the base class");
            Assert.True(Ensure.ErrorFor((int)EtnaStatus.Timeout, "t") is EtnaNetworkException, "a timeout is a network failure (the family)");
        }

        [Test]
        public static void ExceptionsHaveTheStandardConstructors()
        {
            var inner = new InvalidOperationException("inner");
            foreach (var r in Errors())
            {
                Type t = typeof(EtnaException).Assembly.GetType("EtnaAuth." + (string)r["csharp"], true);
                var status = (EtnaStatus)Convert.ToInt32(r["code"]);
                var plain = (EtnaException)Activator.CreateInstance(t);
                Assert.Equal(status, plain.Status, t.Name + "(): Status");
                Assert.Equal((string)r["describe"], plain.Message, t.Name + "(): the table's description");
                var withMessage = (EtnaException)Activator.CreateInstance(t, "a message");
                Assert.Equal(status, withMessage.Status, t.Name + "(string): Status");
                Assert.Equal("a message", withMessage.Message, t.Name + "(string): Message");
                var withInner = (EtnaException)Activator.CreateInstance(t, "a message", inner);
                Assert.Equal(status, withInner.Status, t.Name + "(string, Exception): Status");
                Assert.Equal("a message", withInner.Message, t.Name + "(string, Exception): Message");
                Assert.True(ReferenceEquals(inner, withInner.InnerException), t.Name + "(string, Exception): InnerException");
            }
            var e = new EtnaException("m", inner);
            Assert.Equal(EtnaStatus.Internal, e.Status, "EtnaException(string, Exception): Status");
            Assert.True(e.Message == "m" && ReferenceEquals(inner, e.InnerException), "EtnaException(string, Exception)");
            Assert.Equal(EtnaStatus.Internal, new EtnaException().Status, "EtnaException(): Status");
            Assert.Equal("x", new EtnaException("x").Message, "EtnaException(string): Message");
        }

        [Test]
        public static void DescriptionsAreTheLibrarysToo()
        {
            foreach (var r in rows.Value)
            {
                var status = (EtnaStatus)Convert.ToInt32(r["code"]);
                string d = EtnaLibrary.Describe(status);
                Assert.True(d.StartsWith((string)r["name"] + ":", StringComparison.Ordinal), "etna_status_str starts with the name: " + d);
                Assert.Contains((string)r["describe"], d);
            }
        }

        [Test]
        public static void TheDefaultTimeoutIsTheHeaders()
        {
            using (var s = new EtnaSession("http://127.0.0.1:9/api", "k"))
                Assert.Equal(HeaderMilliseconds("ETNA_DEFAULT_TIMEOUT_MS"), s.Timeout, "a new session's Timeout");
        }

        /// <summary>The header's <c>#define NAME milliseconds</c> (a default), as a TimeSpan.</summary>
        internal static TimeSpan HeaderMilliseconds(string name)
        {
            Match m = Regex.Match(HeaderTests.ReadHeader(), @"^#define " + name + @" (\d+)\s*$", RegexOptions.Multiline);
            Assert.True(m.Success, name + " in the header");
            return TimeSpan.FromMilliseconds(int.Parse(m.Groups[1].Value));
        }
    }
}
