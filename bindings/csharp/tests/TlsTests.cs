using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;

namespace EtnaAuth.Tests
{
    /// <summary>An https token endpoint on 127.0.0.1 (Mono's SslStream) that answers every request with Ok.</summary>
    public sealed class TlsServer : IDisposable
    {
        private readonly TcpListener listener;
        private readonly X509Certificate2 cert;
        private int requests;
        private volatile bool stopped;

        public TlsServer()
        {
            cert = new X509Certificate2(TestPki.LeafPfx, TestPki.LeafPfxPassword);
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var t = new Thread(Accept);
            t.IsBackground = true;
            t.Start();
        }

        public int Port { get; private set; }

        public int Requests
        {
            get { return Interlocked.CompareExchange(ref requests, 0, 0); }
        }

        public string Url(string host)
        {
            return "https://" + host + ":" + Port + "/api";
        }

        private void Accept()
        {
            while (!stopped)
            {
                TcpClient client;
                try { client = listener.AcceptTcpClient(); }
                catch (Exception) { return; }
                var t = new Thread(() => Serve(client));
                t.IsBackground = true;
                t.Start();
            }
        }

        private void Serve(TcpClient client)
        {
            try
            {
                using (client)
                using (var tls = new SslStream(client.GetStream(), false))
                {
                    client.ReceiveTimeout = 10000;
                    tls.AuthenticateAsServer(cert, false, SslProtocols.Tls12, false);
                    var head = new StringBuilder();
                    var buf = new byte[1];
                    while (true)
                    {
                        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                        {
                            if (tls.Read(buf, 0, 1) <= 0)
                                return;
                            head.Append((char)buf[0]);
                        }
                        head.Clear();
                        Interlocked.Increment(ref requests);
                        tls.Write(HostileServer.Ok, 0, HostileServer.Ok.Length);
                        tls.Flush();
                    }
                }
            }
            catch (Exception)
            {
                // a refused handshake, or the client went away
            }
        }

        public void Dispose()
        {
            stopped = true;
            listener.Stop();
        }
    }

    /// <summary>https with a CA file: the working case and each TLS failure.</summary>
    public static class TlsTests
    {
        private static string WriteTemp(string pem)
        {
            string path = Path.GetTempFileName();
            File.WriteAllText(path, pem);
            return path;
        }

        [Test]
        public static void HttpsWithTheRightCaFileWorks()
        {
            string ca = WriteTemp(TestPki.CaPem);
            try
            {
                using (var server = new TlsServer())
                using (var s = new EtnaSession(server.Url("localhost"), "k"))
                {
                    s.Timeout = TimeSpan.FromSeconds(10);
                    s.SetCaFile(ca);
                    Assert.Equal("tok-abc", s.Login("u", "p"), "token over https");
                    Assert.Equal(1, server.Requests, "requests");
                }
            }
            finally
            {
                File.Delete(ca);
            }
        }

        [Test]
        public static void UntrustedCertificateIsATlsError()
        {
            string notTheIssuer = WriteTemp(TestPki.LeafPem); // a certificate, but not the issuer
            try
            {
                using (var server = new TlsServer())
                using (var s = new EtnaSession(server.Url("localhost"), "k"))
                {
                    s.Timeout = TimeSpan.FromSeconds(10);
                    s.SetCaFile(notTheIssuer);
                    var e = Assert.Throws<EtnaTlsException>(() => s.Login("u", "s3cret-pw"));
                    Assert.Contains("certificate", e.Message);
                    Assert.NotContains(e.ToString(), "s3cret-pw", "the exception");
                    Assert.Equal(0, server.Requests, "requests: the credentials were not sent");
                }
            }
            finally
            {
                File.Delete(notTheIssuer);
            }
        }

        [Test]
        public static void HostNameMismatchIsATlsError()
        {
            string ca = WriteTemp(TestPki.CaPem);
            try
            {
                using (var server = new TlsServer())
                using (var s = new EtnaSession(server.Url("127.0.0.1"), "k")) // the certificate is for localhost
                {
                    s.Timeout = TimeSpan.FromSeconds(10);
                    s.SetCaFile(ca);
                    var e = Assert.Throws<EtnaTlsException>(() => s.Login("u", "p"));
                    Assert.Contains("127.0.0.1", e.Message);
                    Assert.Equal(0, server.Requests, "requests");
                }
            }
            finally
            {
                File.Delete(ca);
            }
        }

        [Test]
        public static void TheSystemTrustStoreDoesNotTrustTheTestCa()
        {
            using (var server = new TlsServer())
            using (var s = new EtnaSession(server.Url("localhost"), "k"))
            {
                s.Timeout = TimeSpan.FromSeconds(10);
                Assert.Throws<EtnaTlsException>(() => s.Login("u", "p"));
                Assert.Equal(0, server.Requests, "requests");
            }
        }
    }
}
