using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// Where the engine reports the keys of each IKE SA it keys, for a host that exports them to a protocol analyser
/// (Wireshark's IKEv2 decryption table): nothing is reported unless the host sets <see cref="IkeEngineOptions.KeyLog"/>.
/// The engine itself never writes a key anywhere. Calls come from inside an engine call, from the SA's one consumer;
/// the keys are lent for the call only (the SA zeroes them when it goes), so an implementation copies what it keeps and
/// must not throw: a failure to export is its own to report, not a reason to close the SA.
/// </summary>
public interface IIkeKeyLog
{
    /// <summary>
    /// An IKE SA was keyed (RFC 7296 2.14 in IKE_SA_INIT, or 2.18 for the new SA of an IKE SA rekey): its SPIs, its
    /// algorithms and the keys that protect its SK payloads. With an AEAD (RFC 5282, RFC 7634) SK_ei and SK_er end in the
    /// salt and SK_ai and SK_ar are empty.
    /// </summary>
    void Keyed(ulong initiatorSpi, ulong responderSpi, IkeSuite suite, ReadOnlySpan<byte> skEi, ReadOnlySpan<byte> skEr, ReadOnlySpan<byte> skAi, ReadOnlySpan<byte> skAr);

    /// <summary>The IKE SA with these SPIs went, and its keys with it.</summary>
    void Forgotten(ulong initiatorSpi, ulong responderSpi);
}
