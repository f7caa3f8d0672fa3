using System.Collections.Generic;

namespace EtnaAuth
{
    /// <summary>
    /// A session's LoginAsync and AcquireTokenAsync calls from the moment they are made until their
    /// Task completes: the native login holds the session all that time, and posts its callbacks
    /// to the caller's context, which therefore must not block on the session meanwhile
    /// (<see cref="EtnaSession"/>'s guard, issue 27).
    /// </summary>
    internal sealed class LoginsInFlight
    {
        private readonly List<LoginCall> calls = new List<LoginCall>();

        internal void Add(LoginCall call)
        {
            lock (calls)
                calls.Add(call);
        }

        internal void Remove(LoginCall call)
        {
            lock (calls)
                calls.Remove(call);
        }

        /// <summary>Whether one of them posts its callbacks to the thread that asks (<see cref="LoginCall.PostsToThisThread"/>).</summary>
        internal bool AnyPostsToThisThread()
        {
            lock (calls)
            {
                foreach (LoginCall call in calls)
                {
                    if (call.PostsToThisThread())
                        return true;
                }
                return false;
            }
        }
    }
}
