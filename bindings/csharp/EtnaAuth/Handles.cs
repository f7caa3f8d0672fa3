using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace EtnaAuth
{
    /// <summary>
    /// Owns one native <c>EtnaSession*</c>. <see cref="ReleaseHandle"/> calls <c>etna_free</c>
    /// exactly once: on <see cref="SafeHandle.Dispose()"/>, or from the finalizer when the
    /// owner was never disposed, and never while a P/Invoke call that uses the handle is
    /// still running (the marshaller holds a reference count for the call's duration).
    /// </summary>
    internal sealed class EtnaSessionHandle : SafeHandle
    {
        private static long released;

        /// <summary>Used by the P/Invoke marshaller for <c>etna_new</c>'s result.</summary>
        public EtnaSessionHandle()
            : base(IntPtr.Zero, true)
        {
        }

        /// <summary>
        /// The delegate the native session calls with its log lines, once a log has been set. Kept
        /// here, not in the <see cref="EtnaSession"/>, because the handle is what lives exactly as
        /// long as the native session: even when the session is only finalized, the delegate stays
        /// reachable until <c>etna_free</c> has returned (as LibGit2Sharp's LogConfiguration keeps
        /// its callback), so native code never calls a collected delegate.
        /// </summary>
        internal NativeMethods.EtnaLogCallback LogCallback;

        /// <summary>How many sessions this process has freed (for tests and diagnostics).</summary>
        internal static long ReleasedCount
        {
            get { return Interlocked.Read(ref released); }
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.etna_free(handle);
            Interlocked.Increment(ref released);
            return true;
        }
    }

    /// <summary>
    /// Owns one native <c>EtnaSandbox*</c>; <see cref="ReleaseHandle"/> calls
    /// <c>etna_sandbox_stop</c> exactly once.
    /// </summary>
    internal sealed class EtnaSandboxHandle : SafeHandle
    {
        private static long released;

        /// <summary>Used by the P/Invoke marshaller for <c>etna_sandbox_start</c>'s result.</summary>
        public EtnaSandboxHandle()
            : base(IntPtr.Zero, true)
        {
        }

        internal static long ReleasedCount
        {
            get { return Interlocked.Read(ref released); }
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.etna_sandbox_stop(handle);
            Interlocked.Increment(ref released);
            return true;
        }
    }
}
