using System;
using System.Runtime.InteropServices;

namespace EtnaAuth
{
    /// <summary>
    /// Every entry point of the native library (include/etna_auth.h), and nothing else.
    /// </summary>
    /// <remarks>
    /// Strings go in as NUL-terminated UTF-8 <c>byte[]</c> (see <see cref="Utf8.Encode"/>)
    /// and come back as <see cref="IntPtr"/> to library-owned <c>const char*</c>, decoded
    /// by <see cref="Utf8.Decode"/>: nothing relies on the platform's ANSI marshalling.
    /// No <c>SetLastError</c>: the library has its own thread-local last error,
    /// <see cref="etna_last_error"/>, which must be read on the same thread right
    /// after the call it describes.
    /// Sessions and sandboxes travel as <see cref="SafeHandle"/>s, so a handle cannot be
    /// released while a call that uses it is in flight.
    /// </remarks>
    internal static class NativeMethods
    {
        private const string Lib = "etna_auth";

        // -- sessions ---------------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern EtnaSessionHandle etna_new(byte[] baseUrl, byte[] appKey);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_set_timeout_ms(EtnaSessionHandle session, uint ms);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_set_lock_timeout_ms(EtnaSessionHandle session, uint ms);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_set_ca_file(EtnaSessionHandle session, byte[] pemPath);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_set_proxy(EtnaSessionHandle session, byte[] proxyUrl);

        /// <summary>
        /// Receives a session's log lines (etna_auth.h's <c>EtnaLogCallback</c>): <c>line</c> is UTF-8
        /// and valid only during the call. Must never let an exception out (see <see cref="LogSink"/>).
        /// </summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void EtnaLogCallback(IntPtr userData, int level, IntPtr line);

        /// <summary>
        /// The delegate passed here must stay alive as long as the native session may call it: the
        /// session's handle keeps it (<see cref="EtnaSessionHandle.LogCallback"/>).
        /// </summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_set_log_callback(EtnaSessionHandle session, EtnaLogCallback callback, IntPtr userData, int maxLevel);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_begin_auth(EtnaSessionHandle session, byte[] username, byte[] password);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_supply_pin(EtnaSessionHandle session, byte[] pin);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_supply_code(EtnaSessionHandle session, byte[] code);

        /// <summary>
        /// Asks for a second factor during <see cref="etna_login"/> (etna_auth.h's <c>EtnaAskCallback</c>):
        /// <c>reason</c> is UTF-8, valid only during the call; the answer goes into <c>answer</c>, a
        /// buffer of the library's of <c>answerSize</c> bytes, as NUL-terminated UTF-8, and 0 is
        /// returned; anything else gives up. Must never let an exception out (see <see cref="LoginCall"/>).
        /// </summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int EtnaAskCallback(IntPtr userData, int step, IntPtr reason, IntPtr answer, UIntPtr answerSize);

        /// <summary>The delegate must stay alive until the call returns (<see cref="LoginCall"/> keeps it).</summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_login(EtnaSessionHandle session, byte[] username, byte[] password, EtnaAskCallback ask, IntPtr userData);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_abandon_login(EtnaSessionHandle session);

        /// <summary>
        /// A null <c>store</c> is the default store, a null <c>password</c> is asked through <c>ask</c>
        /// (ETNA_NEED_PASSWORD). The delegate must stay alive until the call returns (<see cref="LoginCall"/> keeps it).
        /// </summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_acquire_token(EtnaSessionHandle session, byte[] store, byte[] username, byte[] password, uint minValidS,
            EtnaAskCallback ask, IntPtr userData);

        /// <summary>Returns the default store's length n, or an error; writes it + NUL only when len &gt; n.</summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_default_store([In, Out] byte[] buf, UIntPtr len);

        /// <summary>Returns the token length n, or an error; writes token + NUL only when len &gt; n.</summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_get_token(EtnaSessionHandle session, [In, Out] byte[] buf, UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long etna_token_expires_at(EtnaSessionHandle session);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_cancel(EtnaSessionHandle session);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_end_login(EtnaSessionHandle session);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_save_token(EtnaSessionHandle session, byte[] path);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_load_token(EtnaSessionHandle session, byte[] path, byte[] username, uint minValidSeconds);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_forget_token(byte[] path, byte[] baseUrl, byte[] username);

        /// <summary>Only <see cref="EtnaSessionHandle"/> calls this, when it is released.</summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void etna_free(IntPtr session);

        // -- messages ---------------------------------------------------------------------

        /// <summary>Thread-local, never NULL, valid until the next etna_ call on this thread.</summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr etna_last_error();

        /// <summary>
        /// The status that goes with this thread's <see cref="etna_last_error"/>; the one way to
        /// learn why <see cref="etna_new"/> or <see cref="etna_sandbox_start"/> returned NULL.
        /// </summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_last_status();

        /// <summary>Static, never NULL.</summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr etna_status_str(int status);

        /// <summary>Static, never NULL.</summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr etna_version();

        /// <summary>major * 10000 + minor * 100 + patch.</summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int etna_version_number();

        // -- the sandbox ------------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern EtnaSandboxHandle etna_sandbox_start(byte[] configJson);

        /// <summary>Owned by the sandbox, valid until it stops.</summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr etna_sandbox_url(EtnaSandboxHandle sandbox);

        /// <summary>Owned by the sandbox, valid until it stops.</summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr etna_sandbox_app_key(EtnaSandboxHandle sandbox);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ulong etna_sandbox_request_count(EtnaSandboxHandle sandbox);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ulong etna_sandbox_connection_count(EtnaSandboxHandle sandbox);

        /// <summary>Only <see cref="EtnaSandboxHandle"/> calls this, when it is released.</summary>
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void etna_sandbox_stop(IntPtr sandbox);

        // -- helpers ----------------------------------------------------------------------

        /// <summary>This thread's last error, copied out (call right after the call it describes).</summary>
        internal static string LastError()
        {
            return Utf8.Decode(etna_last_error());
        }

        internal static string StatusString(int status)
        {
            return Utf8.Decode(etna_status_str(status));
        }
    }
}
