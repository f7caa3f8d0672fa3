using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// A single-threaded SynchronizationContext, as a WPF or WinForms UI thread has: everything
    /// posted to it runs, in order, on its one thread.
    /// </summary>
    internal sealed class SingleThreadContext : SynchronizationContext, IDisposable
    {
        private readonly BlockingCollection<KeyValuePair<SendOrPostCallback, object>> queue = new BlockingCollection<KeyValuePair<SendOrPostCallback, object>>();
        private readonly Thread thread;

        public SingleThreadContext()
        {
            thread = new Thread(Loop) { IsBackground = true, Name = "single-thread context" };
            thread.Start();
        }

        public int ThreadId
        {
            get { return thread.ManagedThreadId; }
        }

        public override void Post(SendOrPostCallback d, object state)
        {
            queue.Add(new KeyValuePair<SendOrPostCallback, object>(d, state));
        }

        public override void Send(SendOrPostCallback d, object state)
        {
            throw new NotSupportedException("Send: a UI context would block; the binding must Post");
        }

        public override SynchronizationContext CreateCopy()
        {
            return this;
        }

        /// <summary>Runs <paramref name="start"/> on the context's thread, as UI code would start an async method there.</summary>
        public Task<T> Run<T>(Func<Task<T>> start)
        {
            var done = new TaskCompletionSource<T>();
            Post(state =>
            {
                try
                {
                    start().ContinueWith(t =>
                    {
                        if (t.IsFaulted)
                            done.TrySetException(t.Exception.InnerExceptions);
                        else if (t.IsCanceled)
                            done.TrySetCanceled();
                        else
                            done.TrySetResult(t.Result);
                    }, TaskContinuationOptions.ExecuteSynchronously);
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
            }, null);
            return done.Task;
        }

        private void Loop()
        {
            SetSynchronizationContext(this);
            foreach (var item in queue.GetConsumingEnumerable())
                item.Key(item.Value);
        }

        public void Dispose()
        {
            queue.CompleteAdding();
            thread.Join(5000);
        }
    }
}
