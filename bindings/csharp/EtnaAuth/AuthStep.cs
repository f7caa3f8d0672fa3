namespace EtnaAuth
{
    /// <summary>Where a login stands after a call.</summary>
    public enum AuthStep
    {
        /// <summary>Logged in: <see cref="EtnaSession.Token"/> holds the token.</summary>
        Done = 0,
        /// <summary>The server asks for the security PIN: call <see cref="EtnaSession.SupplyPin"/>.</summary>
        NeedPin = 1,
        /// <summary>The server asks for the emailed or texted code: call <see cref="EtnaSession.SupplyCode"/>.</summary>
        NeedCode = 2,
    }
}
