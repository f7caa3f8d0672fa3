using System;
using System.Threading;

namespace EtnaAuth
{
    /// <summary>
    /// Between a session's native log and its <see cref="EtnaSession.Log"/> handler. One per session,
    /// created with the first handler; its <see cref="Callback"/> is the one delegate the native
    /// session ever gets, and the current handler is read on each line.
    /// </summary>
    internal sealed class LogSink
    {
        // The session whose handler is running on this thread, if any: a handler must not call
        // what changes that session (the native library holds the session's lock meanwhile).
        [ThreadStatic]
        private static LogSink running;

        private Action<EtnaLogLevel, string> handler;

        internal LogSink()
        {
            Callback = OnLine;
        }

        /// <summary>The delegate given to <c>etna_set_log_callback</c>.</summary>
        internal NativeMethods.EtnaLogCallback Callback { get; private set; }

        internal Action<EtnaLogLevel, string> Handler
        {
            get { return Volatile.Read(ref handler); }
            set { Volatile.Write(ref handler, value); }
        }

        /// <summary>Whether this thread is inside this sink's handler.</summary>
        internal bool IsRunningOnThisThread
        {
            get { return ReferenceEquals(running, this); }
        }

        private void OnLine(IntPtr userData, int level, IntPtr line)
        {
            // Nothing may unwind into the native library: on CoreCLR an exception crossing a
            // native frame ends the process. A handler's exception is dropped; the call goes on.
            try
            {
                Action<EtnaLogLevel, string> h = Handler;
                if (h == null)
                    return;
                LogSink outer = running;
                running = this;
                try
                {
                    h((EtnaLogLevel)level, Utf8.Decode(line)); // copied now: the line is valid only during the call
                }
                finally
                {
                    running = outer;
                }
            }
            catch (Exception)
            {
            }
        }
    }
}
