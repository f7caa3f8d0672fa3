using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// The n-th request (0-based, over all connections), its raw head, and the connection;
    /// writes what it likes and returns whether to keep the connection open.
    /// </summary>
    public delegate bool Handler(int n, byte[] head, Socket conn);

    /// <summary>
    /// A small HTTP server on 127.0.0.1 written on raw sockets, so that it can answer anything:
    /// garbage, redirects, resets, silence.
    /// </summary>
    public sealed class HostileServer : IDisposable
    {
        public static readonly byte[] Ok = Http(200, "{\"State\":\"Succeeded\",\"Token\":\"tok-abc\"}");
        public static readonly byte[] NeedPin = Http(202, "{\"State\":\"Expecting\",\"Step\":\"SecutityPin\",\"Reason\":\"Expecting pin\",\"Token\":\"interim-1\"}");
        public static readonly byte[] NeedCode = Http(202, "{\"State\":\"Expecting\",\"Step\":\"VerificationCode\",\"Reason\":\"Expecting confirmation code\",\"Token\":\"interim-1\"}");

        private readonly TcpListener listener;
        private readonly Handler handler;
        private readonly Func<Socket, bool> onConnect;
        private readonly object sync = new object();
        private readonly List<byte[]> heads = new List<byte[]>();
        private readonly List<Socket> conns = new List<Socket>();
        private readonly Thread acceptor;
        private int connections;
        private volatile bool stopped;

        public HostileServer(Handler handler, Func<Socket, bool> onConnect = null)
        {
            this.handler = handler;
            this.onConnect = onConnect;
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start(64);
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            acceptor = new Thread(AcceptLoop);
            acceptor.IsBackground = true;
            acceptor.Start();
        }

        public int Port { get; private set; }

        public string Url(string scheme = "http", string host = "127.0.0.1")
        {
            return scheme + "://" + host + ":" + Port + "/api";
        }

        public int Requests
        {
            get { lock (sync) return heads.Count; }
        }

        public int Connections
        {
            get { lock (sync) return connections; }
        }

        public byte[][] Heads
        {
            get { lock (sync) return heads.ToArray(); }
        }

        /// <summary>A complete HTTP/1.1 answer with Content-Length, kept alive.</summary>
        public static byte[] Http(int status, string body, params string[] headers)
        {
            byte[] b = Encoding.UTF8.GetBytes(body);
            var head = new StringBuilder();
            head.Append("HTTP/1.1 ").Append(status).Append(" X\r\n");
            head.Append("Content-Length: ").Append(b.Length).Append("\r\n");
            head.Append("Content-Type: application/json\r\n");
            foreach (string h in headers)
                head.Append(h).Append("\r\n");
            head.Append("\r\n");
            return Encoding.ASCII.GetBytes(head.ToString()).Concat(b).ToArray();
        }

        /// <summary>Answers the n-th request with responses[n] (the last one repeats).</summary>
        public static Handler Answer(params byte[][] responses)
        {
            return (n, head, conn) =>
            {
                conn.Send(responses[Math.Min(n, responses.Length - 1)]);
                return true;
            };
        }

        /// <summary>Closes with a TCP RST.</summary>
        public static void Reset(Socket conn)
        {
            conn.LingerState = new LingerOption(true, 0);
            conn.Close();
        }

        /// <summary>The value of header <paramref name="name"/> in a raw request head, or null.</summary>
        public static byte[] Header(byte[] head, string name)
        {
            string latin = Encoding.GetEncoding("iso-8859-1").GetString(head);
            foreach (string line in latin.Split(new[] { "\r\n" }, StringSplitOptions.None).Skip(1))
            {
                int colon = line.IndexOf(':');
                if (colon > 0 && string.Equals(line.Substring(0, colon).Trim(), name, StringComparison.OrdinalIgnoreCase))
                    return Encoding.GetEncoding("iso-8859-1").GetBytes(line.Substring(colon + 1).Trim());
            }
            return null;
        }

        public static string HeaderText(byte[] head, string name)
        {
            byte[] v = Header(head, name);
            return v == null ? null : Encoding.UTF8.GetString(v);
        }

        /// <summary>A port on 127.0.0.1 with nothing listening.</summary>
        public static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        /// <summary>
        /// Accepts only when a connection is pending (Poll), never blocking in accept: closing a
        /// listener does not wake a thread blocked in accept() on Linux, and CoreCLR's
        /// TcpListener.Stop() then waits for it forever (Mono's returns).
        /// </summary>
        private void AcceptLoop()
        {
            while (!stopped)
            {
                Socket conn;
                try
                {
                    if (!listener.Server.Poll(20000, SelectMode.SelectRead))
                        continue;
                    if (stopped)
                        return;
                    conn = listener.AcceptSocket();
                }
                catch (Exception)
                {
                    return;
                }
                lock (sync)
                {
                    connections++;
                    conns.Add(conn);
                }
                var t = new Thread(() => Serve(conn));
                t.IsBackground = true;
                t.Start();
            }
        }

        private void Serve(Socket conn)
        {
            try
            {
                if (onConnect != null && !onConnect(conn))
                    return;
                var buf = new List<byte>();
                var chunk = new byte[65536];
                while (true)
                {
                    int end;
                    while ((end = IndexOfBlankLine(buf)) < 0)
                    {
                        int got = conn.Receive(chunk);
                        if (got <= 0)
                            return;
                        buf.AddRange(chunk.Take(got));
                    }
                    byte[] head = buf.Take(end).ToArray();
                    buf.RemoveRange(0, end + 4);
                    int n;
                    lock (sync)
                    {
                        n = heads.Count;
                        heads.Add(head);
                    }
                    if (!handler(n, head, conn))
                        return;
                }
            }
            catch (Exception)
            {
                // the client went away, or the test closed us
            }
            finally
            {
                try { conn.Close(); } catch (Exception) { }
            }
        }

        private static int IndexOfBlankLine(List<byte> buf)
        {
            for (int i = 0; i + 3 < buf.Count; i++)
                if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n')
                    return i;
            return -1;
        }

        public void Dispose()
        {
            stopped = true;
            acceptor.Join(); // within one Poll period
            try { listener.Stop(); } catch (Exception) { }
            Socket[] all;
            lock (sync)
                all = conns.ToArray();
            foreach (Socket c in all)
            {
                try { c.Shutdown(SocketShutdown.Both); } catch (Exception) { }
                try { c.Close(); } catch (Exception) { }
            }
        }
    }
}
