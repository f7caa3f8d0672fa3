using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// include/etna_auth.h is the one source of truth: these tests read it (the file named by
    /// ETNA_AUTH_HEADER, which run_tests.sh sets) and check the binding against it, the status
    /// codes and their exceptions, and every P/Invoke prototype. No list of codes or functions
    /// is repeated here: everything expected comes from the header.
    /// </summary>
    public static class HeaderTests
    {
        // -- reading the header ------------------------------------------------------------

        /// <summary>A C function or function-pointer type: return type, name, parameter types.</summary>
        public sealed class Prototype
        {
            public string Return;
            public string Name;
            public string[] Parameters;

            public override string ToString()
            {
                return Return + " " + Name + "(" + string.Join(", ", Parameters) + ")";
            }
        }

        /// <summary>What the header declares.</summary>
        public sealed class Header
        {
            /// <summary>The status codes: ETNA_OK, ETNA_NEED_*, ETNA_ERR_*, with their values.</summary>
            public readonly Dictionary<string, int> Statuses = new Dictionary<string, int>();
            /// <summary>The opaque types (<c>typedef struct X X;</c>).</summary>
            public readonly HashSet<string> Opaque = new HashSet<string>();
            /// <summary>Function-pointer typedefs, by name.</summary>
            public readonly Dictionary<string, Prototype> Callbacks = new Dictionary<string, Prototype>();
            /// <summary>The functions, by name.</summary>
            public readonly Dictionary<string, Prototype> Functions = new Dictionary<string, Prototype>();
        }

        private static readonly Lazy<Header> parsed = new Lazy<Header>(() => Parse(ReadHeader()));

        public static string ReadHeader()
        {
            string path = Environment.GetEnvironmentVariable("ETNA_AUTH_HEADER");
            if (string.IsNullOrEmpty(path))
                throw new AssertionException("ETNA_AUTH_HEADER is not set: it names include/etna_auth.h (run_tests.sh sets it)");
            return File.ReadAllText(path);
        }

        /// <summary>
        /// Enough of a C parser for a cbindgen header: #defines of integers, then, with comments
        /// and preprocessor lines removed, the declarations between semicolons.
        /// </summary>
        public static Header Parse(string text)
        {
            var h = new Header();
            foreach (Match m in Regex.Matches(text, @"^#define\s+(ETNA_(?:OK|NEED_\w+|ERR_\w+))\s+(-?\d+)\s*$", RegexOptions.Multiline))
                h.Statuses.Add(m.Groups[1].Value, int.Parse(m.Groups[2].Value));

            string code = Regex.Replace(text, @"/\*.*?\*/", " ", RegexOptions.Singleline);
            code = Regex.Replace(code, @"//[^\n]*", " ");
            code = Regex.Replace(code, @"^\s*#[^\n]*", " ", RegexOptions.Multiline);
            // The C++ guard's braces are left once the #ifdef lines are gone.
            code = code.Replace("extern \"C\" {", " ").Replace("}", " ");
            foreach (string raw in code.Split(';'))
            {
                string decl = Regex.Replace(raw, @"\s+", " ").Trim();
                if (decl.Length == 0)
                    continue;
                Match m;
                if ((m = Regex.Match(decl, @"^typedef struct (\w+) (\w+)$")).Success && m.Groups[1].Value == m.Groups[2].Value)
                    h.Opaque.Add(m.Groups[1].Value);
                else if ((m = Regex.Match(decl, @"^typedef (.+?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)$")).Success)
                    h.Callbacks.Add(m.Groups[2].Value, Proto(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value));
                else if ((m = Regex.Match(decl, @"^(.+?)\b(etna_\w+)\s*\((.*)\)$")).Success)
                    h.Functions.Add(m.Groups[2].Value, Proto(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value));
                else
                    throw new AssertionException("a declaration the test does not understand: " + decl);
            }
            return h;
        }

        private static Prototype Proto(string ret, string name, string parameters)
        {
            string p = parameters.Trim();
            return new Prototype
            {
                Return = NormalizeType(ret),
                Name = name,
                Parameters = p == "void" || p.Length == 0
                    ? new string[0]
                    : p.Split(',').Select(ParameterType).ToArray(),
            };
        }

        /// <summary>"const char *base_url" gives "const char*" (the type without the parameter's name).</summary>
        private static string ParameterType(string parameter)
        {
            Match m = Regex.Match(parameter.Trim(), @"^(.*?)\s*\b\w+$");
            if (!m.Success || m.Groups[1].Value.Length == 0)
                throw new AssertionException("a parameter without a name: " + parameter);
            return NormalizeType(m.Groups[1].Value);
        }

        private static string NormalizeType(string type)
        {
            return Regex.Replace(Regex.Replace(type.Trim(), @"\s+", " "), @"\s*\*", "*");
        }

        public static Header TheHeader
        {
            get { return parsed.Value; }
        }

        // -- status codes and exceptions -----------------------------------------------------

        [Test]
        public static void TheHeaderIsReadable()
        {
            Header h = TheHeader;
            Assert.True(h.Statuses.ContainsKey("ETNA_OK"), "ETNA_OK in the header");
            Assert.True(h.Statuses.Keys.Any(k => k.StartsWith("ETNA_ERR_", StringComparison.Ordinal)), "ETNA_ERR_* codes in the header");
            Assert.True(h.Functions.ContainsKey("etna_new") && h.Functions.ContainsKey("etna_free"), "functions parsed from the header");
            Assert.True(h.Opaque.Contains("EtnaSession"), "the EtnaSession type parsed from the header");
        }

        [Test]
        public static void EtnaStatusMatchesTheHeader()
        {
            Header h = TheHeader;
            foreach (var code in h.Statuses)
            {
                Assert.True(Enum.IsDefined(typeof(EtnaStatus), code.Value), "EtnaStatus has " + code.Key + " = " + code.Value);
                Assert.Equal(code.Key, EtnaException.StatusName((EtnaStatus)code.Value), "the C name of EtnaStatus." + (EtnaStatus)code.Value);
            }
            foreach (EtnaStatus st in Enum.GetValues(typeof(EtnaStatus)))
                Assert.True(h.Statuses.ContainsValue((int)st), "EtnaStatus." + st + " = " + (int)st + " is in the header");
            Assert.Equal(h.Statuses.Count, Enum.GetValues(typeof(EtnaStatus)).Length, "EtnaStatus members");
        }

        [Test]
        public static void EtnaLogLevelMatchesTheHeader()
        {
            var levels = Regex.Matches(ReadHeader(), @"^#define ETNA_LOG_(\w+) (\d+)\s*$", RegexOptions.Multiline).Cast<Match>()
                .ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value));
            Assert.True(levels.Count > 0, "ETNA_LOG_* levels in the header");
            foreach (var level in levels)
            {
                Assert.True(Enum.IsDefined(typeof(EtnaLogLevel), level.Value), "EtnaLogLevel has ETNA_LOG_" + level.Key + " = " + level.Value);
                Assert.Equal(level.Key, ((EtnaLogLevel)level.Value).ToString().ToUpperInvariant(), "the name of ETNA_LOG_" + level.Key);
            }
            Assert.Equal(levels.Count, Enum.GetValues(typeof(EtnaLogLevel)).Length, "EtnaLogLevel members");
        }

        [Test]
        public static void StatusDescriptionsStartWithTheHeadersNames()
        {
            var seen = new HashSet<string>();
            foreach (var code in TheHeader.Statuses)
            {
                string d = EtnaLibrary.Describe((EtnaStatus)code.Value);
                Assert.True(d.StartsWith(code.Key + ":", StringComparison.Ordinal), "etna_status_str(" + code.Key + ") starts with its name: " + d);
                Assert.True(seen.Add(d), "distinct descriptions");
            }
        }

        [Test]
        public static void VersionNumberMatchesTheHeader()
        {
            Match m = Regex.Match(ReadHeader(), @"^#define ETNA_AUTH_VERSION_NUMBER (\d+)\s*$", RegexOptions.Multiline);
            Assert.True(m.Success, "ETNA_AUTH_VERSION_NUMBER in the header");
            Assert.Equal(int.Parse(m.Groups[1].Value), EtnaLibrary.VersionNumber, "etna_version_number()");
            int n = EtnaLibrary.VersionNumber;
            Assert.Equal(n / 10000 + "." + n / 100 % 100 + "." + n % 100, EtnaLibrary.Version, "etna_version() and etna_version_number()");
        }

        // -- prototypes ----------------------------------------------------------------------

        private static IEnumerable<MethodInfo> Imports()
        {
            return typeof(NativeMethods).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
                .Where(m => (m.Attributes & MethodAttributes.PinvokeImpl) != 0);
        }

        [Test]
        public static void EveryHeaderFunctionIsDeclaredAndNothingElse()
        {
            var declared = new HashSet<string>(Imports().Select(m => m.Name));
            foreach (string f in TheHeader.Functions.Keys)
                Assert.True(declared.Contains(f), f + " is declared in NativeMethods");
            foreach (string d in declared)
                Assert.True(TheHeader.Functions.ContainsKey(d), "NativeMethods." + d + " is in the header");
        }

        [Test]
        public static void EveryDllImportMatchesItsCPrototype()
        {
            var problems = new List<string>();
            foreach (MethodInfo m in Imports())
            {
                Prototype c;
                if (!TheHeader.Functions.TryGetValue(m.Name, out c))
                    continue; // reported by EveryHeaderFunctionIsDeclaredAndNothingElse
                var import = (DllImportAttribute)m.GetCustomAttributes(typeof(DllImportAttribute), false).SingleOrDefault();
                if (import == null)
                    problems.Add(m.Name + ": no DllImportAttribute visible through reflection");
                else
                {
                    if (import.Value != "etna_auth")
                        problems.Add(m.Name + ": imported from " + import.Value);
                    if (import.CallingConvention != CallingConvention.Cdecl)
                        problems.Add(m.Name + ": calling convention " + import.CallingConvention);
                    if (!string.IsNullOrEmpty(import.EntryPoint) && import.EntryPoint != m.Name)
                        problems.Add(m.Name + ": entry point " + import.EntryPoint);
                }
                CheckSignature(c, m.ReturnType, m.ReturnParameter, m.GetParameters(), false, problems);
            }
            if (problems.Count > 0)
                throw new AssertionException(problems.Count + " prototype mismatch(es):\n  " + string.Join("\n  ", problems));
        }

        /// <summary>
        /// Compares a C prototype with a managed signature (a DllImport, or a delegate's Invoke
        /// when <paramref name="callback"/>), adding a line to <paramref name="problems"/> per mismatch.
        /// </summary>
        private static void CheckSignature(Prototype c, Type ret, ParameterInfo retInfo, ParameterInfo[] ps, bool callback, List<string> problems)
        {
            string why = Mismatch(c.Return, ret, retInfo, true, callback, c);
            if (why != null)
                problems.Add(c + ": returns " + ret.Name + ": " + why);
            if (ps.Length != c.Parameters.Length)
            {
                problems.Add(c + ": " + ps.Length + " managed parameter(s)");
                return;
            }
            for (int i = 0; i < ps.Length; i++)
            {
                why = Mismatch(c.Parameters[i], ps[i].ParameterType, ps[i], false, callback, c);
                if (why != null)
                    problems.Add(c + ": parameter " + i + " (" + ps[i].ParameterType.Name + " " + ps[i].Name + "): " + why);
            }
        }

        /// <summary>Null when <paramref name="managed"/> is how the binding marshals the C type <paramref name="cType"/>; else why not.</summary>
        private static string Mismatch(string cType, Type managed, ParameterInfo info, bool isReturn, bool callback, Prototype fn)
        {
            switch (cType)
            {
                case "void": return Expect(managed, isReturn, typeof(void));
                case "int": return Expect(managed, true, typeof(int));
                case "int64_t": return Expect(managed, true, typeof(long));
                case "uint32_t": return Expect(managed, true, typeof(uint));
                case "uint64_t": return Expect(managed, true, typeof(ulong));
                case "size_t": return Expect(managed, true, typeof(UIntPtr));
                case "void*": return Expect(managed, true, typeof(IntPtr));
                case "const char*":
                    // In: a NUL-terminated UTF-8 byte[] (or a raw pointer). Out: always IntPtr, decoded
                    // by Utf8.Decode, since a string return would make the marshaller free() the
                    // library's own string; likewise for a string handed to a callback, which is valid
                    // only during the call.
                    if (isReturn || callback)
                        return Expect(managed, true, typeof(IntPtr));
                    if (managed == typeof(byte[]) && info.IsOut)
                        return "a const char* is input only, but the byte[] is [Out]";
                    return Expect(managed, true, typeof(byte[]), typeof(IntPtr));
                case "char*":
                    // A buffer the library writes into: copied back only with [Out].
                    if (managed == typeof(byte[]) && !info.IsOut)
                        return "a buffer the library writes needs [In, Out]";
                    return Expect(managed, !isReturn, typeof(byte[]), typeof(IntPtr));
            }
            string pointee = cType.StartsWith("const ", StringComparison.Ordinal) ? cType.Substring(6) : cType;
            if (pointee.EndsWith("*", StringComparison.Ordinal) && TheHeader.Opaque.Contains(pointee.TrimEnd('*')))
            {
                // Sessions and sandboxes travel as their SafeHandle, so that none is released while a
                // call uses it; only the release functions (void, called by ReleaseHandle) take the
                // raw pointer.
                string handle = pointee.TrimEnd('*') + "Handle";
                if (managed == typeof(IntPtr) && !isReturn && fn.Return == "void" && !callback)
                    return null;
                if (managed.Name != handle || !managed.IsSubclassOf(typeof(SafeHandle)))
                    return "expected the SafeHandle " + handle;
                return null;
            }
            Prototype target;
            if (TheHeader.Callbacks.TryGetValue(cType, out target))
            {
                if (isReturn || !managed.IsSubclassOf(typeof(MulticastDelegate)) || managed.Name != cType)
                    return "expected a delegate named " + cType;
                var attr = (UnmanagedFunctionPointerAttribute)managed.GetCustomAttributes(typeof(UnmanagedFunctionPointerAttribute), false).SingleOrDefault();
                if (attr == null || attr.CallingConvention != CallingConvention.Cdecl)
                    return "the delegate needs [UnmanagedFunctionPointer(CallingConvention.Cdecl)]";
                MethodInfo invoke = managed.GetMethod("Invoke");
                var inner = new List<string>();
                CheckSignature(target, invoke.ReturnType, invoke.ReturnParameter, invoke.GetParameters(), true, inner);
                return inner.Count == 0 ? null : string.Join("; ", inner);
            }
            return "a C type the test does not know: " + cType;
        }

        private static string Expect(Type managed, bool allowed, params Type[] types)
        {
            if (allowed && types.Contains(managed))
                return null;
            return "expected " + string.Join(" or ", types.Select(t => t.Name));
        }

        [Test]
        public static void ThePrototypeCheckCatchesMistakes()
        {
            // The checker itself, on a made-up header: a wrong return, a wrong width, a string
            // return, a missing [Out], a session as IntPtr outside a release function.
            Header real = TheHeader;
            foreach (var wrong in new[]
            {
                Tuple.Create("int etna_x(const char *a)", typeof(Wrong).GetMethod("ReturnsLong")),
                Tuple.Create("int etna_x(uint32_t a)", typeof(Wrong).GetMethod("TakesInt")),
                Tuple.Create("const char *etna_x(void)", typeof(Wrong).GetMethod("ReturnsString")),
                Tuple.Create("int etna_x(char *buf)", typeof(Wrong).GetMethod("BufferWithoutOut")),
                Tuple.Create("int etna_x(EtnaSession *s)", typeof(Wrong).GetMethod("SessionAsIntPtr")),
                Tuple.Create("int etna_x(int a, int b)", typeof(Wrong).GetMethod("TakesInt")),
            })
            {
                Prototype p = Parse(wrong.Item1 + ";").Functions["etna_x"];
                var found = new List<string>();
                CheckSignature(p, wrong.Item2.ReturnType, wrong.Item2.ReturnParameter, wrong.Item2.GetParameters(), false, found);
                Assert.True(found.Count > 0, "a mismatch found in " + wrong.Item1 + " vs " + wrong.Item2.Name);
            }
            Assert.True(ReferenceEquals(real, TheHeader), "the real header is untouched");
        }

        /// <summary>Signatures that do not match, for <see cref="ThePrototypeCheckCatchesMistakes"/>.</summary>
        public static class Wrong
        {
            public static long ReturnsLong(byte[] a) { return 0; }
            public static int TakesInt(int a) { return 0; }
            public static string ReturnsString() { return null; }
            public static int BufferWithoutOut(byte[] buf) { return 0; }
            public static int SessionAsIntPtr(IntPtr s) { return 0; }
        }
    }
}
