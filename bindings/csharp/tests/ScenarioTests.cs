using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// Every scenario of tests/scenarios/scenarios.json through the C# binding (the format is in
    /// tests/scenarios/README.md). Each scenario is one test: run_tests.sh generates the class
    /// <c>Scenario</c> with one [Test] method per scenario (scenario_tests.py), each calling
    /// <see cref="Run"/>. Scripted servers come from one tests/scenarios/hostile_server.py child
    /// process (ETNA_AUTH_PYTHON, default python3). ETNA_SCENARIOS names the scenario file (run_tests.sh
    /// sets it; otherwise it is looked for above the current and the application's directories).
    /// </summary>
    public static class ScenarioTests
    {
        private static readonly Lazy<Dictionary<string, object>> doc = new Lazy<Dictionary<string, object>>(
            () => (Dictionary<string, object>)MiniJson.Parse(File.ReadAllText(ScenarioFile(), Encoding.UTF8)));
        private static readonly Lazy<HostileProcess> hostile = new Lazy<HostileProcess>(
            () => new HostileProcess(Path.Combine(Path.GetDirectoryName(ScenarioFile()), "hostile_server.py"), ScenarioFile()));

        /// <summary>The ids of the scenario file, in order.</summary>
        public static List<string> Ids()
        {
            return Scenarios().Select(s => (string)s["id"]).ToList();
        }

        /// <summary>The generated tests are exactly the file's scenarios (not a stale generation).</summary>
        [Test]
        public static void EveryScenarioIsATest()
        {
            Type generated = typeof(ScenarioTests).Assembly.GetType("EtnaAuth.Tests.Scenario");
            Assert.True(generated != null, "the generated class Scenario (run_tests.sh: scenario_tests.py) is compiled in");
            var ids = (string[])generated.GetField("Ids", BindingFlags.Public | BindingFlags.Static).GetValue(null);
            Assert.Equal(string.Join(" ", Ids()), string.Join(" ", ids), "the generated tests");
        }

        /// <summary>
        /// Runs scenario <paramref name="id"/>, its <c>login</c> steps through
        /// <see cref="EtnaSession.Login"/>, or <c>LoginAsync</c> when <paramref name="async"/>;
        /// throws an AssertionException naming the failing step.
        /// </summary>
        public static void Run(string id, bool async = false)
        {
            var sc = Scenarios().FirstOrDefault(s => (string)s["id"] == id);
            if (sc == null)
                throw new AssertionException("no scenario " + id + " in " + ScenarioFile());
            using (var run = new ScenarioRun(sc, Defaults(), PkiDir(), hostile, async))
                run.Execute();
        }

        internal static Dictionary<string, object> Defaults()
        {
            object d;
            return doc.Value.TryGetValue("defaults", out d) ? (Dictionary<string, object>)d : new Dictionary<string, object>();
        }

        private static IEnumerable<Dictionary<string, object>> Scenarios()
        {
            return ((List<object>)doc.Value["scenarios"]).Cast<Dictionary<string, object>>();
        }

        internal static string ScenarioFile()
        {
            string env = Environment.GetEnvironmentVariable("ETNA_SCENARIOS");
            if (!string.IsNullOrEmpty(env))
                return Path.GetFullPath(env);
            foreach (string start in new[] { Directory.GetCurrentDirectory(), AppDomain.CurrentDomain.BaseDirectory })
                for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                {
                    string p = Path.Combine(d.FullName, "tests", "scenarios", "scenarios.json");
                    if (File.Exists(p))
                        return p;
                }
            throw new AssertionException("tests/scenarios/scenarios.json not found: set ETNA_SCENARIOS");
        }

        internal static string PkiDir()
        {
            return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ScenarioFile()), "..", "pki"));
        }
    }

    /// <summary>tests/scenarios/hostile_server.py serving a scenario file, in a child process driven over its standard input and output.</summary>
    internal sealed class HostileProcess
    {
        private readonly Process process;
        private readonly object sync = new object();

        public HostileProcess(string script, string scenarioFile)
        {
            string python = Environment.GetEnvironmentVariable("ETNA_AUTH_PYTHON");
            var info = new ProcessStartInfo(string.IsNullOrEmpty(python) ? "python3" : python,
                "\"" + script + "\" \"" + scenarioFile + "\"")
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                StandardOutputEncoding = new UTF8Encoding(false),
            };
            process = Process.Start(info);
            // The server exits when its standard input closes: when this process ends.
            var ready = MiniJson.Parse(process.StandardOutput.ReadLine() ?? "{}") as Dictionary<string, object>;
            if (ready == null || !ready.ContainsKey("ready"))
                throw new InvalidOperationException("hostile_server.py did not start");
        }

        public Dictionary<string, object> Ask(string command)
        {
            string line;
            lock (sync)
            {
                process.StandardInput.WriteLine(command);
                process.StandardInput.Flush();
                line = process.StandardOutput.ReadLine();
            }
            var answer = MiniJson.Parse(line ?? "{\"error\": \"no answer\"}") as Dictionary<string, object>;
            object error;
            if (answer.TryGetValue("error", out error))
                throw new AssertionException("hostile_server.py: " + command + ": " + error);
            return answer;
        }
    }

    /// <summary>One scenario: its server, its session, its steps.</summary>
    internal sealed class ScenarioRun : IDisposable
    {
        private readonly Dictionary<string, object> sc;
        private readonly Dictionary<string, object> defaults;
        private readonly string pki;
        private readonly Lazy<HostileProcess> hostile;
        private readonly List<string> secrets = new List<string>();
        private readonly string id;
        private EtnaSandbox sandbox;
        private EtnaSession session;
        private readonly bool async;
        private readonly string label; // the id, and how logins run
        private string runKey;
        private string serverUrl;
        private long timeoutMs;
        private ScenarioLogin login; // the current step's, for a login step

        public ScenarioRun(Dictionary<string, object> scenario, Dictionary<string, object> defaults, string pki, Lazy<HostileProcess> hostile, bool async)
        {
            this.async = async;
            sc = scenario;
            this.defaults = defaults;
            this.pki = pki;
            this.hostile = hostile;
            id = (string)sc["id"];
            label = id + (async ? " (LoginAsync)" : "");
            foreach (var src in new[] { defaults, sc })
            {
                object list;
                if (src.TryGetValue("secrets", out list))
                    secrets.AddRange(((List<object>)list).Cast<string>());
            }
            timeoutMs = Long(defaults, "timeout_ms", 30000);
        }

        private static object Get(Dictionary<string, object> d, string key)
        {
            object v;
            return d != null && d.TryGetValue(key, out v) ? v : null;
        }

        private static long Long(Dictionary<string, object> d, string key, long fallback)
        {
            object v = Get(d, key);
            return v == null ? fallback : Convert.ToInt64(v, CultureInfo.InvariantCulture);
        }

        private string Expand(string text)
        {
            if (text == null)
                return null;
            text = text.Replace("{pki}", pki);
            return serverUrl == null ? text : text.Replace("{server}", serverUrl);
        }

        public void Execute()
        {
            Start();
            var steps = (List<object>)sc["steps"];
            for (int i = 0; i < steps.Count; i++)
                Step(i, (Dictionary<string, object>)steps[i]);
            if (session != null)
            {
                session.Dispose(); // closed first, so that the server's counts are final
                session = null;
            }
            CheckServer();
        }

        private void Start()
        {
            var server = Get(sc, "server") as Dictionary<string, object> ?? new Dictionary<string, object> { { "kind", "none" } };
            string kind = (string)Get(server, "kind") ?? "script";
            string appKey = (string)Get(defaults, "app_key") ?? "the-key";
            if (kind == "sandbox")
            {
                object config = Get(server, "config");
                sandbox = new EtnaSandbox(config == null ? null : MiniJson.Write(config));
                serverUrl = sandbox.Url;
                appKey = sandbox.AppKey;
            }
            else if (kind == "script" || kind == "refused")
            {
                var opened = hostile.Value.Ask("open " + id);
                serverUrl = (string)opened["url"];
                runKey = (string)opened["key"];
            }
            if (sc.ContainsKey("session") && sc["session"] == null)
                return;
            var spec = Get(sc, "session") as Dictionary<string, object> ?? new Dictionary<string, object>();
            timeoutMs = Long(spec, "timeout_ms", timeoutMs);
            session = NewSession(Expand((string)Get(spec, "url") ?? "{server}"), (string)Get(spec, "app_key") ?? appKey);
            string ca = (string)Get(spec, "ca_file");
            if (ca != null)
                session.SetCaFile(Expand(ca));
        }

        private EtnaSession NewSession(string url, string appKey)
        {
            var s = new EtnaSession(url, appKey);
            s.Timeout = TimeSpan.FromMilliseconds(timeoutMs);
            return s;
        }

        private static string StepStatus(AuthStep step)
        {
            return step == AuthStep.Done ? "ETNA_OK" : step == AuthStep.NeedPin ? "ETNA_NEED_PIN" : "ETNA_NEED_CODE";
        }

        private static EtnaStatus StatusOf(string name)
        {
            foreach (EtnaStatus st in Enum.GetValues(typeof(EtnaStatus)))
                if (EtnaException.StatusName(st) == name)
                    return st;
            throw new AssertionException("unknown status " + name);
        }

        /// <summary>Runs one call; returns its status name, and sets the message and value.</summary>
        private string Call(Dictionary<string, object> step, out string message, out object value)
        {
            message = "";
            value = null;
            string name = (string)step["call"];
            EtnaSession s = session;
            switch (name)
            {
                case "begin":
                    return Stepped(s.BeginAuth((string)step["username"], (string)step["password"]), out message);
                case "pin":
                    return Stepped(s.SupplyPin((string)step["value"]), out message);
                case "code":
                    return Stepped(s.SupplyCode((string)step["value"]), out message);
                case "token":
                    value = s.Token;
                    return "ETNA_OK";
                case "expires_at":
                    // No token: null, which the scenarios write as ETNA_ERR_STATE (README).
                    value = s.ExpiresAt;
                    return value == null ? "ETNA_ERR_STATE" : "ETNA_OK";
                case "login":
                    value = login.Run(s, (string)step["username"], (string)step["password"], async);
                    return "ETNA_OK";
                case "abandon":
                    s.AbandonLogin(); // throws: it gives up, or there is nothing to give up
                    return "ETNA_OK";
                case "end_login":
                    s.EndLogin();
                    return "ETNA_OK";
                case "cancel":
                    s.Cancel();
                    return "ETNA_OK";
                case "set_proxy":
                    s.SetProxy((string)step["url"]);
                    return "ETNA_OK";
                case "set_ca_file":
                    s.SetCaFile(Expand((string)step["path"]));
                    return "ETNA_OK";
                case "set_timeout_ms":
                    timeoutMs = Long(step, "ms", timeoutMs);
                    s.Timeout = TimeSpan.FromMilliseconds(timeoutMs);
                    return "ETNA_OK";
                case "new":
                    var fresh = NewSession(Expand((string)step["url"]), (string)step["app_key"]);
                    if (session != null)
                        session.Dispose();
                    session = fresh;
                    return "ETNA_OK";
                case "sandbox_start":
                    object config = Get(step, "config");
                    new EtnaSandbox(config == null ? null : MiniJson.Write(config)).Dispose();
                    return "ETNA_OK";
                default:
                    throw new AssertionException("unknown call " + name);
            }
        }

        private string Stepped(AuthStep step, out string message)
        {
            message = step == AuthStep.Done ? "" : session.Reason;
            return StepStatus(step);
        }

        private void Step(int i, Dictionary<string, object> step)
        {
            string name = (string)step["call"];
            string where = label + ": step " + i + " (" + name + ")";
            var expect = Get(step, "expect") as Dictionary<string, object> ?? new Dictionary<string, object> { { "status", "ETNA_OK" } };
            string want = (string)expect["status"];
            Thread canceller = null;
            object cancelAfter = Get(step, "cancel_after_ms");
            if (cancelAfter != null)
            {
                EtnaSession target = session;
                int ms = Convert.ToInt32(cancelAfter, CultureInfo.InvariantCulture);
                canceller = new Thread(() => { Thread.Sleep(ms); target.Cancel(); });
                canceller.IsBackground = true;
                canceller.Start();
            }
            string status, message;
            object value;
            bool raised = false, threw = false;
            login = name == "login" ? new ScenarioLogin(where, step) : null;
            var watch = Stopwatch.StartNew();
            try
            {
                status = Call(step, out message, out value);
            }
            catch (EtnaException e)
            {
                raised = true;
                status = EtnaException.StatusName(e.Status);
                message = e.Message;
                value = null;
                if (status == want)
                {
                    // The class comes from the binding's own table for the status.
                    Type expected = Ensure.ErrorFor((int)StatusOf(want), "x").GetType();
                    Assert.True(e.GetType() == expected, where + ": " + e.GetType().Name + " for " + want + ", expected " + expected.Name);
                    Assert.True(!e.Message.StartsWith("ETNA_", StringComparison.Ordinal), where + ": the library's message verbatim, no prefix: " + e.Message);
                }
                foreach (string secret in secrets)
                    Assert.NotContains(e.ToString(), secret, where + ": the exception (" + secret + ")");
            }
            catch (Exception e)
            {
                // A callback's scripted throw: that very exception, whatever C gets (expect.status).
                if (login == null || login.Thrown == null || !ReferenceEquals(e, login.Thrown))
                    throw;
                threw = true;
                status = want;
                message = "";
                value = null;
            }
            finally
            {
                if (canceller != null)
                    canceller.Join();
            }
            long elapsed = watch.ElapsedMilliseconds;
            if (status != want)
                throw new AssertionException(where + ": " + status + " (\"" + message + "\"), expected " + want);
            if (!threw)
                CheckMessage(where, raised, message, expect);
            if (login != null)
                login.CheckAsked(expect);
            object token = Get(expect, "token");
            if (token != null)
                Assert.Equal((string)token, value as string, where + ": token");
            if (name == "expires_at" && value != null)
            {
                double hours = ((DateTimeOffset)value - DateTimeOffset.UtcNow).TotalHours;
                Assert.True(hours > 23 && hours <= 24.02, where + ": expires in about 24 h, not " + hours);
            }
            object max = Get(expect, "max_ms");
            long slack = Long(defaults, "slack_ms", 2500);
            long maxMs = max != null ? Convert.ToInt64(max, CultureInfo.InvariantCulture)
                : (name == "begin" || name == "pin" || name == "code") && session != null ? timeoutMs + slack
                : name == "login" && session != null ? 4 * timeoutMs + slack : -1;
            if (maxMs >= 0)
                Assert.True(elapsed <= maxMs, where + ": took " + elapsed + " ms, at most " + maxMs);
            long minMs = Long(expect, "min_ms", -1);
            if (minMs >= 0)
                Assert.True(elapsed >= minMs, where + ": took " + elapsed + " ms, at least " + minMs);
        }

        private void CheckMessage(string where, bool raised, string message, Dictionary<string, object> expect)
        {
            Assert.True(!message.Any(ch => ch < ' ' || ch == '\u007f'), where + ": the message is one line: " + message);
            Assert.True(Encoding.UTF8.GetByteCount(message) < 4096, where + ": a message of " + message.Length + " characters");
            if (raised)
                Assert.True(message.Length > 0, where + ": a message");
            foreach (string secret in secrets)
                Assert.NotContains(message, secret, where + ": the message (" + secret + ")");
            string pattern = (string)Get(expect, "message");
            if (pattern != null)
                Assert.True(Regex.IsMatch(message, pattern), where + ": message <" + message + "> matches /" + pattern + "/");
        }

        private void CheckServer()
        {
            long requests, connections;
            if (sandbox != null)
            {
                requests = sandbox.RequestCount;
                connections = sandbox.ConnectionCount;
            }
            else if (runKey != null)
            {
                var got = hostile.Value.Ask("stats " + runKey);
                var violations = (List<object>)got["violations"];
                Assert.True(violations.Count == 0, id + ": the server saw no violation: " + string.Join("; ", violations.Cast<string>()));
                requests = Convert.ToInt64(got["requests"], CultureInfo.InvariantCulture);
                connections = Convert.ToInt64(got["connections"], CultureInfo.InvariantCulture);
            }
            else
            {
                return;
            }
            var want = Get(sc, "server_expect") as Dictionary<string, object>;
            if (want == null)
                return;
            if (want.ContainsKey("requests"))
                Assert.Equal(Long(want, "requests", 0), requests, id + ": requests at the server");
            if (want.ContainsKey("connections"))
                Assert.Equal(Long(want, "connections", 0), connections, id + ": connections at the server");
            if (want.ContainsKey("max_connections"))
                Assert.True(connections <= Long(want, "max_connections", 0), id + ": " + connections + " connections, at most " + want["max_connections"]);
        }

        public void Dispose()
        {
            if (session != null)
                session.Dispose();
            if (sandbox != null)
                sandbox.Dispose();
        }
    }
}
