using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// A scenario's <c>login</c> step (tests/scenarios/README.md, "The login policy: login steps"):
    /// the scripted <c>answers</c> played by the pin and code callbacks of
    /// <see cref="EtnaSession.Login"/> or, with <c>async</c>, of <c>LoginAsync</c>, and what the
    /// callbacks were asked.
    /// </summary>
    internal sealed class ScenarioLogin
    {
        private readonly string where;
        private readonly List<object> answers; // null: no callbacks at all
        private readonly List<string[]> asked = new List<string[]>();
        private int next;

        public ScenarioLogin(string where, Dictionary<string, object> step)
        {
            this.where = where;
            answers = step.ContainsKey("answers") ? step["answers"] as List<object> : new List<object>();
        }

        /// <summary>The exception a <c>{"throw": TEXT}</c> answer threw, which the login must throw unchanged.</summary>
        public Exception Thrown { get; private set; }

        /// <summary>
        /// Runs the login; returns the token. A scripted throw comes back as the very exception
        /// (the caller checks it against <see cref="Thrown"/>); an error as its EtnaException.
        /// </summary>
        public string Run(EtnaSession s, string username, string password, bool async)
        {
            if (!async)
            {
                Func<string, string> pin = null, code = null;
                if (answers != null)
                {
                    pin = r => Value(Take("ETNA_NEED_PIN", r));
                    code = r => Value(Take("ETNA_NEED_CODE", r));
                }
                return s.Login(username, password, pin, code);
            }
            Func<string, Task<string>> pinAsync = null, codeAsync = null;
            if (answers != null)
            {
                pinAsync = r => Later(Take("ETNA_NEED_PIN", r));
                codeAsync = r => Later(Take("ETNA_NEED_CODE", r));
            }
            return s.LoginAsync(username, password, pinAsync, codeAsync).GetAwaiter().GetResult();
        }

        /// <summary>Checks <c>expect.asked</c>: the steps and the server's Reasons the callbacks got, in order.</summary>
        public void CheckAsked(Dictionary<string, object> expect)
        {
            object want;
            if (!expect.TryGetValue("asked", out want) || want == null)
                return;
            var wanted = ((List<object>)want).Cast<List<object>>().ToList();
            string got = string.Join(", ", asked.Select(a => a[0] + " \"" + a[1] + "\""));
            Assert.Equal(wanted.Count, asked.Count, where + ": the callbacks were asked " + asked.Count + " times (" + got + ")");
            for (int i = 0; i < wanted.Count; i++)
            {
                Assert.Equal((string)wanted[i][0], asked[i][0], where + ": ask " + i + ": the step");
                Assert.True(Regex.IsMatch(asked[i][1], (string)wanted[i][1]), where + ": ask " + i + ": reason <" + asked[i][1] + "> matches /" + wanted[i][1] + "/");
            }
        }

        /// <summary>Records the ask and takes the next scripted answer.</summary>
        private object Take(string step, string reason)
        {
            lock (asked)
            {
                asked.Add(new[] { step, reason });
                if (next >= answers.Count)
                    throw new AssertionException(where + ": the callback was asked " + (next + 1) + " times, and answers has " + answers.Count + " entries");
                return answers[next++];
            }
        }

        /// <summary>The answer given at once: a string, null (give up), a throw, a repeat; a pause for <c>give</c>/<c>after_ms</c>.</summary>
        private string Value(object answer)
        {
            var d = answer as Dictionary<string, object>;
            if (d == null)
                return (string)answer;
            object text;
            if (d.TryGetValue("throw", out text))
            {
                Thrown = new InvalidOperationException((string)text);
                throw Thrown;
            }
            if (d.TryGetValue("repeat", out text))
                return string.Concat(Enumerable.Repeat((string)text, Convert.ToInt32(d["times"], CultureInfo.InvariantCulture)));
            if (d.TryGetValue("give", out text))
            {
                Thread.Sleep(Convert.ToInt32(d["after_ms"], CultureInfo.InvariantCulture));
                return (string)text;
            }
            throw new AssertionException(where + ": an answer the runner does not know: " + MiniJson.Write(answer));
        }

        /// <summary>The answer as a Task: a pause is a Task.Delay (nothing blocks), the rest as <see cref="Value"/>.</summary>
        private Task<string> Later(object answer)
        {
            var d = answer as Dictionary<string, object>;
            object text;
            if (d != null && d.TryGetValue("give", out text))
                return Task.Delay(Convert.ToInt32(d["after_ms"], CultureInfo.InvariantCulture)).ContinueWith(t => (string)text);
            return Task.FromResult(Value(answer));
        }
    }
}
