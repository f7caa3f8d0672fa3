using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// An https token endpoint on 127.0.0.1 that answers every request with Ok: tls_server.py
    /// (Python's ssl) in a child process, so that the tests do not depend on the runtime's own TLS
    /// (.NET Core 3.1's SslStream needs OpenSSL 1.x). The script's path comes from
    /// ETNA_AUTH_TLS_SERVER (run_tests.sh sets it), the interpreter from ETNA_AUTH_PYTHON
    /// (default python3).
    /// </summary>
    public sealed class TlsServer : IDisposable
    {
        private readonly Process process;
        private readonly string dir;
        private readonly ManualResetEvent listening = new ManualResetEvent(false);
        private readonly object countLock = new object();
        private readonly AutoResetEvent counted = new AutoResetEvent(false);
        private int count = -1;
        private int port;

        public TlsServer()
        {
            string script = Environment.GetEnvironmentVariable("ETNA_AUTH_TLS_SERVER");
            if (string.IsNullOrEmpty(script) || !File.Exists(script))
                throw new InvalidOperationException("ETNA_AUTH_TLS_SERVER must name tests/tls_server.py (got <" + script + ">)");
            dir = Path.Combine(Path.GetTempPath(), "etna-auth-tls-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            string cert = Path.Combine(dir, "leaf.pem");
            string key = Path.Combine(dir, "leaf.key");
            File.WriteAllText(cert, TestPki.LeafPem);
            File.WriteAllText(key, TestPki.LeafKeyPem);
            string python = Environment.GetEnvironmentVariable("ETNA_AUTH_PYTHON");
            var info = new ProcessStartInfo(string.IsNullOrEmpty(python) ? "python3" : python,
                "\"" + script + "\" \"" + cert + "\" \"" + key + "\"")
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
            };
            process = Process.Start(info);
            var reader = new Thread(ReadOutput);
            reader.IsBackground = true;
            reader.Start();
            if (!listening.WaitOne(TimeSpan.FromSeconds(20)) || Volatile.Read(ref port) == 0)
            {
                Dispose();
                throw new InvalidOperationException("tls_server.py did not start listening");
            }
        }

        public int Port
        {
            get { return Volatile.Read(ref port); }
        }

        /// <summary>Requests read so far (the server counts each before it answers), asked of the server.</summary>
        public int Requests
        {
            get
            {
                lock (countLock)
                {
                    process.StandardInput.WriteLine("count");
                    process.StandardInput.Flush();
                    if (!counted.WaitOne(TimeSpan.FromSeconds(10)))
                        throw new InvalidOperationException("tls_server.py did not answer \"count\"");
                    return Volatile.Read(ref count);
                }
            }
        }

        public string Url(string host)
        {
            return "https://" + host + ":" + Port + "/api";
        }

        private void ReadOutput()
        {
            try
            {
                string line;
                while ((line = process.StandardOutput.ReadLine()) != null)
                {
                    if (line.StartsWith("port ", StringComparison.Ordinal))
                    {
                        Volatile.Write(ref port, int.Parse(line.Substring(5), CultureInfo.InvariantCulture));
                        listening.Set();
                    }
                    else if (line.StartsWith("count ", StringComparison.Ordinal))
                    {
                        Volatile.Write(ref count, int.Parse(line.Substring(6), CultureInfo.InvariantCulture));
                        counted.Set();
                    }
                }
            }
            catch (Exception)
            {
                // the process is gone
            }
            finally
            {
                listening.Set();
            }
        }

        public void Dispose()
        {
            try { process.StandardInput.Close(); } catch (Exception) { } // the script exits at end of input
            try
            {
                if (!process.WaitForExit(5000))
                    process.Kill();
                process.WaitForExit(5000);
            }
            catch (Exception) { }
            process.Dispose();
            try { Directory.Delete(dir, true); } catch (Exception) { }
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
