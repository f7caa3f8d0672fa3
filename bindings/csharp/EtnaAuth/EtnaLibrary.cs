namespace EtnaAuth
{
    /// <summary>Facts about the native library.</summary>
    public static class EtnaLibrary
    {
        /// <summary>The native library's version, e.g. "0.1.0".</summary>
        public static string Version
        {
            get { return Utf8.Decode(NativeMethods.etna_version()); }
        }

        /// <summary>
        /// The native library's version as one number, major * 10000 + minor * 100 + patch (the C
        /// header's <c>ETNA_AUTH_VERSION_NUMBER</c> scheme), e.g. to check that the library loaded at
        /// run time is the one expected.
        /// </summary>
        public static int VersionNumber
        {
            get { return NativeMethods.etna_version_number(); }
        }

        /// <summary>The library's description of a status code, starting with its C name (e.g. "ETNA_ERR_TIMEOUT: ...").</summary>
        public static string Describe(EtnaStatus status)
        {
            return NativeMethods.StatusString((int)status);
        }
    }
}
