using System;
using System.Reflection;
using EtnaAuth;

/// <summary>
/// packaging/test_artifacts.sh: prints EtnaAuth.dll's assembly and informational
/// versions and the native library's, from the unpacked NuGet package, and checks
/// that they agree with the expected version (the first argument).
/// </summary>
public static class VersionCheck
{
    public static int Main(string[] args)
    {
        Assembly asm = typeof(EtnaSession).Assembly;
        var info = (AssemblyInformationalVersionAttribute)Attribute.GetCustomAttribute(
            asm, typeof(AssemblyInformationalVersionAttribute));
        string informational = info == null ? "" : info.InformationalVersion;
        string native = EtnaLibrary.Version;
        Console.WriteLine("EtnaAuth.dll " + asm.GetName().Version + " (" + informational + "), native " + native
            + ", runtime " + asm.ImageRuntimeVersion);
        bool ok = informational == args[0] && native == args[0] && asm.GetName().Version == new Version(args[0] + ".0");
        return ok ? 0 : 1;
    }
}
