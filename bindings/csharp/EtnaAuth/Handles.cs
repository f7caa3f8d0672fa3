using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace EtnaAuth
{
    /// <summary>
    /// Owns one native pointer and frees it exactly once: on <see cref="SafeHandle.Dispose()"/>,
    /// or from the finalizer when the owner was never disposed, and never while a P/Invoke call
    /// that uses the handle is still running (the marshaller holds a reference count for the
    /// call's duration). <typeparamref name="TSelf"/> is the handle class itself, so that each
    /// class counts its own releases (a generic class's static field is one per type argument).
    /// </summary>
    internal abstract class NativeHandle<TSelf> : SafeHandle
        where TSelf : NativeHandle<TSelf>
    {
        private static long released;

        protected NativeHandle()
            : base(IntPtr.Zero, true)
        {
        }

        /// <summary>How many handles of this class this process has freed (for tests and diagnostics).</summary>
        internal static long ReleasedCount
        {
            get { return Interlocked.Read(ref released); }
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        /// <summary>The native call that frees the pointer.</summary>
        protected abstract void Free(IntPtr pointer);

        protected override bool ReleaseHandle()
        {
            Free(handle);
            Interlocked.Increment(ref released);
            return true;
        }
    }

    /// <summary>Owns one native <c>EtnaSession*</c>; releasing it calls <c>etna_free</c>.</summary>
    internal sealed class EtnaSessionHandle : NativeHandle<EtnaSessionHandle>
    {
        /// <summary>
        /// The delegate the native session calls with its log lines, once a log has been set. Kept
        /// here, not in the <see cref="EtnaSession"/>, because the handle is what lives exactly as
        /// long as the native session: even when the session is only finalized, the delegate stays
        /// reachable until <c>etna_free</c> has returned (as LibGit2Sharp's LogConfiguration keeps
        /// its callback), so native code never calls a collected delegate.
        /// </summary>
        internal NativeMethods.EtnaLogCallback LogCallback;

        /// <summary>Used by the P/Invoke marshaller for <c>etna_new</c>'s result.</summary>
        public EtnaSessionHandle()
        {
        }

        protected override void Free(IntPtr pointer)
        {
            NativeMethods.etna_free(pointer);
        }
    }

    /// <summary>Owns one native <c>EtnaSandbox*</c>; releasing it calls <c>etna_sandbox_stop</c>.</summary>
    internal sealed class EtnaSandboxHandle : NativeHandle<EtnaSandboxHandle>
    {
        /// <summary>Used by the P/Invoke marshaller for <c>etna_sandbox_start</c>'s result.</summary>
        public EtnaSandboxHandle()
        {
        }

        protected override void Free(IntPtr pointer)
        {
            NativeMethods.etna_sandbox_stop(pointer);
        }
    }
}
