using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// How one side proves itself in IKE_AUTH (RFC 7296 2.15): it turns the octets it signs into an AUTH
/// payload, and checks the peer's AUTH over the peer's signed octets. Pre-shared keys are built in; a
/// signature authenticator (RSA or ECDSA with RFC 7427's Digital Signature method, CERT and CERTREQ
/// payloads) implements the same two calls and the IKE_AUTH task does not change.
/// </summary>
internal abstract class Authenticator
{
    public abstract AuthenticationPayload Build(ReadOnlySpan<byte> signedOctets);

    public abstract bool Verify(ReadOnlySpan<byte> signedOctets, AuthenticationPayload auth, Identity peer, out string reason);

    /// <summary>The authenticator a connection configures.</summary>
    public static Authenticator For(IkeSa sa) => new PskAuthenticator(sa.Prf, sa.Config.PreSharedKey);
}

/// <summary>Shared Key Message Integrity Code (RFC 7296 2.15, auth method 2).</summary>
internal sealed class PskAuthenticator(Prf prf, byte[] preSharedKey) : Authenticator
{
    public override AuthenticationPayload Build(ReadOnlySpan<byte> signedOctets) =>
        new(AuthMethod.SharedKeyMessageIntegrityCode, PskAuthentication.ComputeAuth(prf, preSharedKey, signedOctets));

    public override bool Verify(ReadOnlySpan<byte> signedOctets, AuthenticationPayload auth, Identity peer, out string reason)
    {
        if (auth.Method != AuthMethod.SharedKeyMessageIntegrityCode)
        {
            reason = $"peer authenticates with {auth.Method}; this connection uses a pre-shared key";
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
