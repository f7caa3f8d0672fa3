using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// A run of one of the scripts below on the one scripted server of every runner,
    /// tests/scenarios/hostile_server.py, for the tests outside the scenario list (a server that
    /// stalls while a test cancels or disposes, request checks). The scripts are in the scenario
    /// list's format (tests/scenarios/README.md: answers, rules, actions, <c>expect_request</c>),
    /// with the list's named responses; they are written to a file once, which a second
    /// hostile_server.py child process serves.
    /// </summary>
    public sealed class ScriptedServer : IDisposable
    {
        // JSON with ' for ", so that it reads as the scenario list does.
        private static readonly string[] Scripts =
        {
            "{'id': 'ok', 'server': {'answers': [{'do': ['ok']}]}}",
            "{'id': 'busy', 'server': {'answers': [{'do': [{'http': 503, 'body': 'busy'}]}]}}",
            "{'id': 'no-token', 'server': {'answers': [{'do': [{'http': 200, 'body': {'State': 'Succeeded'}}]}]}}",
            // Never answers (until the client closes the connection).
            "{'id': 'stall', 'server': {'answers': [{'do': [{'sleep_ms': 60000}]}]}}",
            "{'id': 'stall-first', 'server': {'answers': [{'request': 0, 'do': [{'sleep_ms': 60000}]}, {'do': ['ok']}]}}",
            // Slow to ask for the PIN: a login's first exchange stays on the network for a while.
            "{'id': 'slow-pin-ok', 'server': {'answers': [{'request': 0, 'do': [{'sleep_ms': 700}, 'need-pin']}, {'do': ['ok']}]}}",
            "{'id': 'pin-then-stall', 'server': {'answers': [{'request': 0, 'do': ['need-pin']}, {'request': 1, 'do': [{'sleep_ms': 60000}]}, {'do': ['ok']}]}}",
            "{'id': 'pin-busy-ok', 'server': {'answers': [{'request': 0, 'do': ['need-pin']}, {'request': 1, 'do': [{'http': 503, 'body': 'busy'}]}, {'do': ['ok']}]}}",
            "{'id': 'utf8-credentials', 'server': {'answers': [{'expect_request': {'headers': {'Username': 'jürgen', 'Password': 'pässwörd-ß'}}, 'do': ['ok']}]}}",
            "{'id': 'pin-code-ok', 'server': {'answers': ["
                + "{'request': 0, 'expect_request': {'headers': {'Et-App-Key': 'the-key', 'Content-Length': '0'}, 'absent': ['Authorization', 'PinCode']}, 'do': ['need-pin']}, "
                + "{'request': 1, 'expect_request': {'headers': {'Authorization': 'Bearer interim-1', 'PinCode': '1234'}}, 'do': ['need-code']}, "
                + "{'request': 2, 'expect_request': {'headers': {'Authorization': 'Bearer interim-1', 'VerificationCode': '999'}, 'absent': ['PinCode']}, 'do': ['ok']}]}}",
        };

        private static readonly Lazy<HostileProcess> process = new Lazy<HostileProcess>(Start);
        private readonly string key;

        /// <summary>A fresh run of the script <paramref name="id"/>, with its own URL and counts.</summary>
        public ScriptedServer(string id)
        {
            var opened = process.Value.Ask("open " + id);
            Url = (string)opened["url"];
            key = (string)opened["key"];
        }

        /// <summary>
        /// A session on this run whose Timeout (20 s) is far longer than any test waits, so that a
        /// stalled exchange ends only by what the test does.
        /// </summary>
        public EtnaSession StalledSession()
        {
            var s = new EtnaSession(Url, "k");
            s.Timeout = TimeSpan.FromSeconds(20);
            return s;
        }

        /// <summary>The base URL of this run.</summary>
        public string Url { get; private set; }

        /// <summary>The requests this run has seen.</summary>
        public int Requests
        {
            get { return Count("requests"); }
        }

        /// <summary>The connections this run has seen.</summary>
        public int Connections
        {
            get { return Count("connections"); }
        }

        /// <summary>Throws when the server found a request wrong (<c>expect_request</c>, not a POST to /token, ...).</summary>
        public void AssertNoViolations()
        {
            var violations = (List<object>)process.Value.Ask("stats " + key)["violations"];
            Assert.True(violations.Count == 0, "the server saw no violation: " + string.Join("; ", violations.Cast<string>()));
        }

        /// <summary>Checks the requests once more; a stalled connection ends when its client closes it.</summary>
        public void Dispose()
        {
            AssertNoViolations();
        }

        private int Count(string what)
        {
            return Convert.ToInt32(process.Value.Ask("stats " + key)[what], CultureInfo.InvariantCulture);
        }

        private static HostileProcess Start()
        {
            string scenarios = ScenarioTests.ScenarioFile();
            var list = (Dictionary<string, object>)MiniJson.Parse(File.ReadAllText(scenarios, Encoding.UTF8));
            var doc = new Dictionary<string, object>
            {
                { "responses", list["responses"] },
                { "scenarios", Scripts.Select(s => MiniJson.Parse(s.Replace('\'', '"'))).ToList() },
            };
            string path = Path.Combine(Path.GetTempPath(), "etna-auth-csharp-servers-" + Guid.NewGuid().ToString("N") + ".json");
            File.WriteAllText(path, MiniJson.Write(doc), new UTF8Encoding(false));
            AppDomain.CurrentDomain.ProcessExit += (sender, e) => File.Delete(path);
            return new HostileProcess(Path.Combine(Path.GetDirectoryName(scenarios), "hostile_server.py"), path);
        }
    }
}
