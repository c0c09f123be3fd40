using System.Globalization;

namespace S2SEndpoint.Ike.Messages;

/// <summary>
/// Why bytes from the network were refused: the payload, the offset into the datagram (or into the
/// decrypted SK plaintext), the notify that answers it (RFC 7296 section 3.10.1), and a reason for logs.
/// Parsers return this; they never throw on input from the wire.
/// </summary>
public readonly record struct ParseError(PayloadType? Payload, int Offset, NotifyType Notify, string Reason, byte[]? NotifyData = null)
{
    internal static ParseError Syntax(PayloadType? payload, int offset, string reason) =>
        new(payload, offset, NotifyType.InvalidSyntax, reason);

    /// <summary>The counted reason of the drop: the notify that answers it, or a failed integrity check when none does.</summary>
    public Sa.IkeDropReason DropReason => Notify switch
    {
        NotifyType.None => Sa.IkeDropReason.IntegrityCheckFailed,
        NotifyType.UnsupportedCriticalPayload => Sa.IkeDropReason.UnsupportedCriticalPayload,
        NotifyType.InvalidMajorVersion => Sa.IkeDropReason.InvalidMajorVersion,
        _ => Sa.IkeDropReason.InvalidSyntax,
    };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Notify.ToRfcName()} at offset {Offset}{(Payload is { } p ? " in " + p : string.Empty)}: {Reason}");
}
