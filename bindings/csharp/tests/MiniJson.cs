using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// A small JSON reader and writer (Mono's and CoreCLR's reference assemblies share no JSON
    /// library): objects are Dictionary&lt;string, object&gt;, arrays List&lt;object&gt;, numbers
    /// long or double, and strings, booleans and null as themselves.
    /// </summary>
    internal static class MiniJson
    {
        public static object Parse(string text)
        {
            int i = 0;
            object v = Value(text, ref i);
            Space(text, ref i);
            if (i != text.Length)
                throw new FormatException("JSON: text after the value at " + i);
            return v;
        }

        private static void Space(string t, ref int i)
        {
            while (i < t.Length && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
                i++;
        }

        private delegate void Item(string t, ref int i);

        /// <summary>
        /// The items of an object or array, from its opening bracket at <paramref name="i"/> to
        /// <paramref name="close"/>, separated by commas; <paramref name="item"/> reads each.
        /// </summary>
        private static void Items(string t, ref int i, char close, Item item)
        {
            i++;
            Space(t, ref i);
            if (t[i] == close)
            {
                i++;
                return;
            }
            while (true)
            {
                item(t, ref i);
                Space(t, ref i);
                if (t[i] == ',')
                {
                    i++;
                    continue;
                }
                Expect(t, ref i, close);
                return;
            }
        }

        private static object Value(string t, ref int i)
        {
            Space(t, ref i);
            if (i >= t.Length)
                throw new FormatException("JSON: unexpected end");
            char ch = t[i];
            if (ch == '{')
            {
                var d = new Dictionary<string, object>();
                Items(t, ref i, '}', (string s, ref int j) =>
                {
                    Space(s, ref j);
                    string key = Str(s, ref j);
                    Space(s, ref j);
                    Expect(s, ref j, ':');
                    d[key] = Value(s, ref j);
                });
                return d;
            }
            if (ch == '[')
            {
                var l = new List<object>();
                Items(t, ref i, ']', (string s, ref int j) => l.Add(Value(s, ref j)));
                return l;
            }
            if (ch == '"')
                return Str(t, ref i);
            if (Word(t, ref i, "true"))
                return true;
            if (Word(t, ref i, "false"))
                return false;
            if (Word(t, ref i, "null"))
                return null;
            int start = i;
            while (i < t.Length && "+-0123456789.eE".IndexOf(t[i]) >= 0)
                i++;
            string num = t.Substring(start, i - start);
            long n;
            if (long.TryParse(num, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n))
                return n;
            double x;
            if (num.Length > 0 && double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out x))
                return x;
            throw new FormatException("JSON: unexpected character at " + start);
        }

        private static bool Word(string t, ref int i, string word)
        {
            if (string.CompareOrdinal(t, i, word, 0, word.Length) != 0)
                return false;
            i += word.Length;
            return true;
        }

        private static void Expect(string t, ref int i, char ch)
        {
            if (i >= t.Length || t[i] != ch)
                throw new FormatException("JSON: expected '" + ch + "' at " + i);
            i++;
        }

        private static string Str(string t, ref int i)
        {
            Expect(t, ref i, '"');
            var sb = new StringBuilder();
            while (true)
            {
                char ch = t[i++];
                if (ch == '"')
                    return sb.ToString();
                if (ch != '\\')
                {
                    sb.Append(ch);
                    continue;
                }
                char e = t[i++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u':
                        sb.Append((char)int.Parse(t.Substring(i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        i += 4;
                        break;
                    default: sb.Append(e); break; // " \ /
                }
            }
        }

        public static string Write(object v)
        {
            var sb = new StringBuilder();
            Write(sb, v);
            return sb.ToString();
        }

        private static void Write(StringBuilder sb, object v)
        {
            if (v == null)
                sb.Append("null");
            else if (v is bool)
                sb.Append((bool)v ? "true" : "false");
            else if (v is long || v is double)
                sb.Append(Convert.ToString(v, CultureInfo.InvariantCulture));
            else if (v is string)
            {
                sb.Append('"');
                foreach (char ch in (string)v)
                {
                    if (ch == '"' || ch == '\\')
                        sb.Append('\\').Append(ch);
                    else if (ch < ' ')
                        sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        sb.Append(ch);
                }
                sb.Append('"');
            }
            else if (v is List<object>)
            {
                sb.Append('[');
                var l = (List<object>)v;
                for (int k = 0; k < l.Count; k++)
                {
                    if (k > 0)
                        sb.Append(',');
                    Write(sb, l[k]);
                }
                sb.Append(']');
            }
            else
            {
                sb.Append('{');
                bool first = true;
                foreach (var kv in (Dictionary<string, object>)v)
                {
                    if (!first)
                        sb.Append(',');
                    first = false;
                    Write(sb, kv.Key);
                    sb.Append(':');
                    Write(sb, kv.Value);
                }
                sb.Append('}');
            }
        }
    }
}
