using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// How one side proves itself in IKE_AUTH (RFC 7296 2.15): it adds the payloads that go before its AUTH (a
/// signer's CERT payloads), turns the octets it signs into an AUTH payload, and checks the peer's AUTH over the
/// peer's signed octets. Each side has its own: <see cref="Local"/> follows local.auth, <see cref="Remote"/>
/// remote.auth, so one side may use a pre-shared key and the other a certificate.
/// </summary>
internal abstract class Authenticator
{
    /// <summary>Our side: the payloads that come before AUTH (CERT).</summary>
    public abstract void AddCredentials(OutgoingMessage message);

    /// <summary>Our side: whether we can authenticate to this peer at all (a signature needs a hash the peer takes).</summary>
    public abstract bool CanBuild(out string reason);

    /// <summary>Our side: the AUTH payload over our signed octets; call after <see cref="CanBuild"/> said yes.</summary>
    public abstract AuthenticationPayload Build(ReadOnlySpan<byte> signedOctets);

    /// <summary>The peer's side: checks its AUTH (and for a signature, its certificates) over its signed octets.</summary>
    public abstract bool Verify(ReadOnlySpan<byte> signedOctets, AuthenticationPayload auth, Identity peer, IncomingMessage message, out string reason);

    /// <summary>How we authenticate (local.auth).</summary>
    public static Authenticator Local(IkeSa sa) =>
        sa.Config.LocalAuth == AuthClass.PublicKey ? new SignatureAuthenticator(sa) : new PskAuthenticator(sa.Prf, sa.Config.PreSharedKey);

    /// <summary>How the peer must authenticate (remote.auth).</summary>
    public static Authenticator Remote(IkeSa sa) =>
        sa.Config.RemoteAuth == AuthClass.PublicKey ? new SignatureAuthenticator(sa) : new PskAuthenticator(sa.Prf, sa.Config.PreSharedKey);
}

/// <summary>Shared Key Message Integrity Code (RFC 7296 2.15, auth method 2).</summary>
internal sealed class PskAuthenticator(Prf prf, byte[] preSharedKey) : Authenticator
{
    public override void AddCredentials(OutgoingMessage message)
    {
    }

    public override bool CanBuild(out string reason)
    {
        reason = string.Empty;
        return true;
    }

    public override AuthenticationPayload Build(ReadOnlySpan<byte> signedOctets) =>
        new(AuthMethod.SharedKeyMessageIntegrityCode, PskAuthentication.ComputeAuth(prf, preSharedKey, signedOctets));

    public override bool Verify(ReadOnlySpan<byte> signedOctets, AuthenticationPayload auth, Identity peer, IncomingMessage message, out string reason)
    {
        if (auth.Method != AuthMethod.SharedKeyMessageIntegrityCode)
        {
            reason = $"peer authenticates with {auth.Method}; this connection expects a pre-shared key from it (remote.auth psk)";
            return false;
        }
        if (!PskAuthentication.Verify(prf, preSharedKey, signedOctets, auth.Data))
        {
            reason = $"pre-shared key authentication of '{peer}' failed (the keys differ)";
            return false;
        }
        reason = string.Empty;
        return true;
    }
}
