using System;
using System.Runtime.InteropServices;
using System.Text;

namespace EtnaAuth
{
    /// <summary>
    /// Explicit UTF-8 marshalling in both directions.
    /// </summary>
    internal static class Utf8
    {
        // Throws on lone surrogates instead of silently sending U+FFFD in a password.
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);
        // Decoding what the library gives back never throws.
        private static readonly UTF8Encoding Lenient = new UTF8Encoding(false, false);

        /// <summary>
        /// <paramref name="value"/> as NUL-terminated UTF-8; <c>null</c> stays <c>null</c>
        /// (a C NULL). A NUL inside the string (which C would silently cut at) or a string
        /// that is not valid UTF-16 is an <see cref="ArgumentException"/> naming the
        /// parameter, never quoting the value (it may be a secret).
        /// </summary>
        internal static byte[] Encode(string value, string paramName)
        {
            if (value == null)
                return null;
            if (value.IndexOf('\0') >= 0)
                throw new ArgumentException("The string contains a NUL character.", paramName);
            int length;
            try
            {
                length = Strict.GetByteCount(value);
            }
            catch (EncoderFallbackException)
            {
                throw new ArgumentException("The string is not valid UTF-16 (a lone surrogate).", paramName);
            }
            var bytes = new byte[length + 1];
            Strict.GetBytes(value, 0, value.Length, bytes, 0);
            return bytes;
        }

        /// <summary>Like <see cref="Encode"/>, but null is an <see cref="ArgumentNullException"/>.</summary>
        internal static byte[] EncodeRequired(string value, string paramName)
        {
            if (value == null)
                throw new ArgumentNullException(paramName);
            return Encode(value, paramName);
        }

        /// <summary>A NUL-terminated UTF-8 C string as a string; <see cref="IntPtr.Zero"/> gives <c>null</c>.</summary>
        internal static string Decode(IntPtr ptr)
        {
            if (ptr == IntPtr.Zero)
                return null;
            int length = 0;
            while (Marshal.ReadByte(ptr, length) != 0)
                length++;
            if (length == 0)
                return string.Empty;
            var bytes = new byte[length];
            Marshal.Copy(ptr, bytes, 0, length);
            return Lenient.GetString(bytes);
        }

        /// <summary>
        /// Writes <paramref name="value"/> as NUL-terminated UTF-8 into the native buffer
        /// <paramref name="buffer"/> of <paramref name="size"/> bytes (an ask callback's answer). An
        /// answer too long gets what fits, without the NUL, so that the library reports it (one
        /// text for every front end). The managed copy is wiped. A NUL or a lone surrogate is the
        /// <see cref="ArgumentException"/> of <see cref="Encode"/>.
        /// </summary>
        internal static void WriteAnswer(string value, string paramName, IntPtr buffer, UIntPtr size)
        {
            byte[] bytes = EncodeRequired(value, paramName);
            try
            {
                ulong room = size.ToUInt64();
                Marshal.Copy(bytes, 0, buffer, room < (ulong)bytes.Length ? (int)room : bytes.Length);
            }
            finally
            {
                Wipe(bytes);
            }
        }

        /// <summary>Overwrites a buffer that held a secret.</summary>
        internal static void Wipe(byte[] bytes)
        {
            if (bytes != null)
                Array.Clear(bytes, 0, bytes.Length);
        }
    }
}
