using System;
using System.Runtime.InteropServices;
using EtnaAuth;

/// <summary>
/// Uses EtnaAuth.dll as a user's program would (a reference to the library assembly built
/// alone, public API only) with libetna_auth next to it and no LD_LIBRARY_PATH: checks that
/// DllImport("etna_auth") finds the native library in the application's directory and that
/// a login works. Prints one line; exit code 0 when it works.
/// </summary>
public static class LoadCheck
{
    public static int Main()
    {
        string runtime = Type.GetType("Mono.Runtime") != null ? "mono" : "coreclr";
        try
        {
            using (var sandbox = new EtnaSandbox())
            using (var session = sandbox.NewSession())
            {
                string token = session.Login("alice", "alice-pass");
                if (string.IsNullOrEmpty(token))
                    throw new Exception("empty token");
            }
            Console.WriteLine("load check (" + runtime + ", " + RuntimeInformation.FrameworkDescription
                + "): EtnaAuth.dll and libetna_auth from the application's directory, native library "
                + EtnaLibrary.Version + ", login ok");
            return 0;
        }
        catch (Exception e)
        {
            Console.WriteLine("load check (" + runtime + ") FAILED: " + e);
            return 1;
        }
    }
}
