
namespace EtnaAuth
{
    /// <summary>
    /// Turns native status codes into exceptions: through the one table from code to exception class (StatusTable, generated from bindings/status_codes.json).
    /// </summary>
    internal static class Ensure
    {
        /// <summary>The exception for an error <paramref name="status"/> (an unknown code gets the base class).</summary>
        internal static EtnaException ErrorFor(int status, string nativeMessage)
        {
            return StatusTable.Exception((EtnaStatus)status, nativeMessage) ?? new EtnaException((EtnaStatus)status, nativeMessage);
        }

        /// <summary>
        /// The failure of a native call that returned NULL (<c>etna_new</c>, <c>etna_sandbox_start</c>):
        /// this thread's <c>etna_last_status()</c> and <c>etna_last_error()</c>, so that e.g. a sandbox
        /// port that cannot be bound is an <see cref="EtnaIOException"/>, not an argument error.
        /// Call it right after the native call, on the same thread.
        /// </summary>
        internal static EtnaException LastFailure()
        {
            int status = NativeMethods.etna_last_status();
            string message = NativeMethods.LastError();
            if (status >= 0) // the library broke its promise: a NULL always comes with a cause
                return ErrorFor((int)EtnaStatus.Internal, "the native call returned NULL with status " + status.ToString(System.Globalization.CultureInfo.InvariantCulture) + ": " + message);
            return ErrorFor(status, message);
        }

        /// <summary>
        /// Returns <paramref name="handle"/>, what <c>etna_new</c> or <c>etna_sandbox_start</c>
        /// just returned; when that was NULL, throws its <see cref="LastFailure"/> (so call it right
        /// after the native call, on the same thread).
        /// </summary>
        internal static T Opened<T>(T handle) where T : System.Runtime.InteropServices.SafeHandle
        {
            if (handle != null && !handle.IsInvalid)
                return handle;
            EtnaException failure = LastFailure(); // read first: nothing else may run an etna_ call before it
            if (handle != null)
                handle.Dispose();
            throw failure;
        }

        /// <summary>
        /// Returns a non-negative <paramref name="status"/>; throws for a negative one, with this
        /// thread's last error (so call it right after the native call, on the same thread).
        /// </summary>
        internal static int Success(int status)
        {
            if (status < 0)
                throw ErrorFor(status, NativeMethods.LastError());
            return status;
        }
    }
}
