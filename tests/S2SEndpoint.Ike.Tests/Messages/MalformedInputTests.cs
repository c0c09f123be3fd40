using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Tests.Messages;

/// <summary>
/// Negative tables for the IKE message codec (RFC 7296 section 3, RFC 7383 section 2.5 for SKF): every
/// input is a whole datagram, an IKE header and the payload under test, read by <see cref="IkeMessage.TryParse"/>.
/// A refusal must name the notify that answers it, the payload, and an offset at or after the payload's start.
/// The last table builds one valid payload of every kind with the public constructors and round-trips it.
/// </summary>
public sealed class MalformedInputTests
{
    private const int FirstPayload = IkeHeader.Size;
    private const string Nonce16 = "000102030405060708090a0b0c0d0e0f";
    private const string ValidSa = "00000014 01010001 0000000c 0100000c 800e0100";
    private const string ValidTs4 = "01000000 07000010 0000ffff 0a010000 0a0100ff";

    private const PayloadType Unknown = (PayloadType)60;

    private static readonly PayloadType[] Types =
    [
        PayloadType.SecurityAssociation, PayloadType.KeyExchange, PayloadType.IdInitiator, PayloadType.IdResponder,
        PayloadType.Certificate, PayloadType.CertificateRequest, PayloadType.Authentication, PayloadType.Nonce,
        PayloadType.Notify, PayloadType.Delete, PayloadType.VendorId, PayloadType.TrafficSelectorInitiator,
        PayloadType.TrafficSelectorResponder, PayloadType.Encrypted, PayloadType.Configuration,
        PayloadType.ExtensibleAuthentication, PayloadType.EncryptedFragment, Unknown,
    ];

    /// <summary>Every payload type this build reads, and one it does not (60).</summary>
    public static TheoryData<PayloadType> AllPayloadTypes => new(Types);

    /// <summary>The types whose body this build reads: all but SK, which is opened later, and unknown ones.</summary>
    public static TheoryData<PayloadType> CheckedPayloadTypes => new(Types.Where(t => t != PayloadType.Encrypted && t != Unknown));

    /// <summary>The types this build knows.</summary>
    public static TheoryData<PayloadType> KnownPayloadTypes => new(Types.Where(t => t != Unknown));

    // ---- the IKE header (RFC 7296 3.1) ----

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(IkeHeader.Size - 1)]
    public void TryParse_DatagramShorterThanHeader_RejectsWithInvalidSyntax(int length)
    {
        var datagram = Datagram(PayloadType.NoNextPayload, [])[..length];

        var error = Rejected(datagram, $"{length} octets");

        Assert.Equal(NotifyType.InvalidSyntax, error.Notify);
        Assert.Null(error.Payload);
        Assert.Equal(0, error.Offset);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(15)]
    public void TryParse_MajorVersionOtherThan2_RejectsWithInvalidMajorVersion(int major)
    {
        var datagram = Datagram(PayloadType.Nonce, Payload(PayloadType.NoNextPayload, Nonce16));
        datagram[17] = (byte)(major << 4);

        var error = Rejected(datagram, $"major version {major}");

        Assert.Equal(NotifyType.InvalidMajorVersion, error.Notify);
        Assert.Null(error.Payload);
        Assert.Equal(17, error.Offset);
    }

    [Fact]
    public void TryParse_HigherMinorVersion_IsAcceptedAndKept()
    {
        // RFC 7296 3.1: implementations "MUST ignore the minor version number of received messages".
        var datagram = Datagram(PayloadType.Nonce, Payload(PayloadType.NoNextPayload, Nonce16));
        datagram[17] = 0x2F;

        Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());
        Assert.Equal(15, message.Header.MinorVersion);
        Assert.Equal(datagram, message.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(100)]
    [InlineData(-20)]
    public void TryParse_HeaderLengthDiffersFromDatagram_RejectsWithInvalidSyntax(int delta)
    {
        var datagram = Datagram(PayloadType.Nonce, Payload(PayloadType.NoNextPayload, Nonce16), lengthDelta: delta);

        var error = Rejected(datagram, $"length off by {delta}");

        Assert.Equal(NotifyType.InvalidSyntax, error.Notify);
        Assert.Null(error.Payload);
        Assert.Equal(24, error.Offset);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(0x7FFFFFFFu)]
    [InlineData(0x80000000u)]
    [InlineData(uint.MaxValue)]
    public void TryParse_HeaderLengthExtreme_RejectsWithInvalidSyntax(uint length)
    {
        var datagram = Datagram(PayloadType.Nonce, Payload(PayloadType.NoNextPayload, Nonce16));
        BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(24), length);

        var error = Rejected(datagram, $"header length {length}");

        Assert.Equal(NotifyType.InvalidSyntax, error.Notify);
        Assert.Equal(24, error.Offset);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(24)]
    public void TryParse_OctetsAfterTheLastPayload_RejectsWithInvalidSyntax(int trailing)
    {
        var nonce = Payload(PayloadType.NoNextPayload, Nonce16);
        var datagram = Datagram(PayloadType.Nonce, [.. nonce, .. new byte[trailing]]);

        var error = Rejected(datagram, $"{trailing} trailing octets");

        Assert.Equal(NotifyType.InvalidSyntax, error.Notify);
        Assert.Null(error.Payload);
        Assert.Equal(FirstPayload + nonce.Length, error.Offset);
    }

    [Fact]
    public void TryParse_NoPayloadAnnouncedButOctetsFollow_RejectsWithInvalidSyntax()
    {
        var datagram = Datagram(PayloadType.NoNextPayload, Payload(PayloadType.NoNextPayload, Nonce16));

        var error = Rejected(datagram, "header announces no payload");

        Assert.Equal(NotifyType.InvalidSyntax, error.Notify);
        Assert.Null(error.Payload);
        Assert.Equal(FirstPayload, error.Offset);
    }

    [Fact]
    public void TryParse_ChainLinksToAPayloadThatIsMissing_RejectsNamingTheMissingPayload()
    {
        var datagram = Datagram(PayloadType.Nonce, Payload(PayloadType.Notify, Nonce16));

        AssertRejected(datagram, PayloadType.Notify, "Next Payload names a Notify that is not there", FirstPayload + 20);
    }

    [Fact]
    public void TryParse_SecondPayloadLengthBelowGenericHeader_RejectsNamingIt()
    {
        var datagram = Datagram(PayloadType.Nonce, [.. Payload(PayloadType.VendorId, Nonce16), .. Payload(PayloadType.NoNextPayload, "", length: 2)]);

        AssertRejected(datagram, PayloadType.VendorId, "second payload of length 2", FirstPayload + 20);
    }

    // ---- the generic payload header (RFC 7296 3.2), for every payload type ----

    [Theory]
    [MemberData(nameof(AllPayloadTypes))]
    public void TryParse_PayloadHeaderCutShort_RejectsNamingThePayload(PayloadType type)
    {
        for (var kept = 1; kept < IkePayload.GenericHeaderSize; kept++)
        {
            var datagram = Datagram(type, Payload(PayloadType.NoNextPayload, "")[..kept]);
            AssertRejected(datagram, type, $"{kept} octets of the generic header");
        }
    }

    [Theory]
    [MemberData(nameof(AllPayloadTypes))]
    public void TryParse_PayloadLengthBelowGenericHeader_RejectsNamingThePayload(PayloadType type)
    {
        for (var length = 0; length < IkePayload.GenericHeaderSize; length++)
        {
            var datagram = Datagram(type, Payload(PayloadType.NoNextPayload, ValidBody(type), length: length));
            AssertRejected(datagram, type, $"payload length {length}");
        }
    }

    [Theory]
    [MemberData(nameof(AllPayloadTypes))]
    public void TryParse_PayloadLengthPastTheDatagram_RejectsNamingThePayload(PayloadType type)
    {
        var body = Hex(ValidBody(type));
        foreach (var excess in new[] { 1, 2, 1000 })
        {
            var length = IkePayload.GenericHeaderSize + body.Length + excess;
            var datagram = Datagram(type, Payload(PayloadType.NoNextPayload, ValidBody(type), length: length));
            AssertRejected(datagram, type, $"payload length {length} for {body.Length + 4} octets");
        }
    }

    [Theory]
    [MemberData(nameof(AllPayloadTypes))]
    public void TryParse_DatagramCutInsideThePayload_RejectsNamingThePayload(PayloadType type)
    {
        // The capture lost the payload's tail; the IKE header's Length was fixed to the octets that arrived.
        var whole = Payload(PayloadType.NoNextPayload, ValidBody(type));
        for (var kept = IkePayload.GenericHeaderSize; kept < whole.Length; kept++)
        {
            var datagram = Datagram(type, whole[..kept]);
            AssertRejected(datagram, type, $"{kept} of {whole.Length} octets");
        }
    }

    [Theory]
    [MemberData(nameof(AllPayloadTypes))]
    public void TryParse_ValidBodyOfEveryType_IsAccepted(PayloadType type)
    {
        // The reference bodies the other tables cut and stretch are themselves valid.
        var datagram = Datagram(type, Payload(PayloadType.NoNextPayload, ValidBody(type)));

        Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());
        Assert.Equal(type, Assert.Single(message.Payloads).Type);
        Assert.Equal(datagram, message.ToArray());
    }

    [Theory]
    [MemberData(nameof(CheckedPayloadTypes))]
    public void TryParse_ZeroLengthBody_RejectsWithInvalidSyntax(PayloadType type)
    {
        AssertRejected(Datagram(type, Payload(PayloadType.NoNextPayload, "")), type, "empty body");
    }

    [Theory]
    [InlineData(PayloadType.Encrypted)]
    [InlineData((PayloadType)60)]
    public void TryParse_ZeroLengthBodyOfSkOrUnknownType_IsAccepted(PayloadType type)
    {
        // SK: its length is checked against the cipher when it is opened. Unknown, not critical: skipped unread.
        var datagram = Datagram(type, Payload(PayloadType.NoNextPayload, ""));

        Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());
        Assert.Equal(type, Assert.Single(message.Payloads).Type);
    }

    [Theory]
    [MemberData(nameof(CheckedPayloadTypes))]
    public void TryParse_ValidBodyLessItsLastOctet_RejectsWithInvalidSyntax(PayloadType type)
    {
        var body = ValidBody(type).Replace(" ", "", StringComparison.Ordinal);
        var datagram = Datagram(type, Payload(PayloadType.NoNextPayload, body[..^2]));

        AssertRejected(datagram, type, "body one octet short");
    }

    [Theory]
    [MemberData(nameof(KnownPayloadTypes))]
    public void TryParse_KnownPayloadWithCriticalBit_IgnoresTheBitAndWritesItClear(PayloadType type)
    {
        // RFC 7296 3.2: the critical bit "MUST be ignored by the recipient if the recipient understands
        // the payload type code"; it "MUST be set to zero for payload types defined in this document".
        var datagram = Datagram(type, Payload(PayloadType.NoNextPayload, ValidBody(type), critical: true));

        Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());
        var written = message.ToArray();
        Assert.Equal(0, written[FirstPayload + 1]);
        datagram[FirstPayload + 1] = 0;
        Assert.Equal(datagram, written);
    }

    // ---- unknown payload types (RFC 7296 3.2) ----

    [Theory]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(49)]
    [InlineData(54)]
    [InlineData(60)]
    [InlineData(255)]
    public void TryParse_UnknownPayloadWithCriticalBit_RejectsWithUnsupportedCriticalPayload(byte type)
    {
        // RFC 7296 3.10.1: UNSUPPORTED_CRITICAL_PAYLOAD "Notification Data contains the one-octet payload type".
        var datagram = Datagram((PayloadType)type, Payload(PayloadType.NoNextPayload, "0102030405", critical: true));

        var error = Rejected(datagram, $"critical type {type}");

        Assert.Equal(NotifyType.UnsupportedCriticalPayload, error.Notify);
        Assert.Equal((PayloadType)type, error.Payload);
        Assert.Equal(new[] { type }, error.NotifyData);
        Assert.Equal(FirstPayload, error.Offset);
    }

    [Fact]
    public void TryParse_UnknownCriticalPayloadAfterAnother_RejectsAtItsOwnOffset()
    {
        var nonce = Payload((PayloadType)60, Nonce16);
        var datagram = Datagram(PayloadType.Nonce, [.. nonce, .. Payload(PayloadType.NoNextPayload, "", critical: true)]);

        var error = Rejected(datagram, "critical type 60 second");

        Assert.Equal(NotifyType.UnsupportedCriticalPayload, error.Notify);
        Assert.Equal((PayloadType)60, error.Payload);
        Assert.Equal(new byte[] { 60 }, error.NotifyData);
        Assert.Equal(FirstPayload + nonce.Length, error.Offset);
    }

    [Theory]
    [InlineData(1, "")]
    [InlineData(49, "00")]
    [InlineData(60, "0102030405")]
    [InlineData(255, "ffffffffffffffff")]
    public void TryParse_UnknownPayloadWithoutCriticalBit_IsKeptAndRoundTrips(byte type, string body)
    {
        var datagram = Datagram(PayloadType.Nonce, [
            .. Payload((PayloadType)type, Nonce16),
            .. Payload(PayloadType.Notify, body),
            .. Payload(PayloadType.NoNextPayload, "00004000")]);

        Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());

        Assert.Equal(3, message.Payloads.Count);
        var unknown = Assert.IsType<UnknownPayload>(message.Payloads[1]);
        Assert.Equal((PayloadType)type, unknown.Type);
        Assert.Equal(Hex(body), unknown.Body);
        Assert.False(unknown.Critical);
        Assert.IsType<NotifyPayload>(message.Payloads[2]);
        Assert.Equal(datagram, message.ToArray());
    }

    // ---- SA, proposals, transforms, attributes (RFC 7296 3.3) ----

    [Theory]
    [InlineData("no proposal", "")]
    [InlineData("proposal header cut short", "00000014 010100")]
    [InlineData("proposal length below 8", "00000007 01010001 0000000c 0100000c 800e0100")]
    [InlineData("proposal length 0", "00000000 01010001 0000000c 0100000c 800e0100")]
    [InlineData("proposal length past the payload", "00000015 01010001 0000000c 0100000c 800e0100")]
    [InlineData("proposal length shorter than its transform", "00000013 01010001 0000000c 0100000c 800e0100")]
    [InlineData("proposal Last Substruc 1", "01000014 01010001 0000000c 0100000c 800e0100")]
    [InlineData("proposal Last Substruc 3", "03000014 01010001 0000000c 0100000c 800e0100")]
    [InlineData("more proposals announced, none follow", "02000014 01010001 0000000c 0100000c 800e0100")]
    [InlineData("second proposal cut short", "02000014 01010001 0000000c 0100000c 800e0100 0000")]
    [InlineData("data after the last proposal", "00000014 01010001 0000000c 0100000c 800e0100 00000008 02010000")]
    [InlineData("SPI size past the proposal", "00000014 01010d01 0000000c 0100000c 800e0100")]
    [InlineData("SPI size 8 in an 8-octet proposal", "00000008 01010800")]
    [InlineData("two transforms announced, one present", "00000014 01010002 0000000c 0100000c 800e0100")]
    [InlineData("no transform announced, one present", "00000014 01010000 0000000c 0100000c 800e0100")]
    [InlineData("one transform announced, none present", "00000008 01010001")]
    [InlineData("transform marked more, but last", "00000014 01010001 0300000c 0100000c 800e0100")]
    [InlineData("transform Last Substruc 2", "00000014 01010001 0200000c 0100000c 800e0100")]
    [InlineData("transform marked last, another follows", "0000001c 01010002 0000000c 0100000c 800e0100 00000008 02000005")]
    [InlineData("transform header cut short", "0000000c 01010001 0000000c")]
    [InlineData("transform length below 8", "00000014 01010001 00000007 0100000c 800e0100")]
    [InlineData("transform length past the proposal", "00000014 01010001 0000000d 0100000c 800e0100")]
    [InlineData("attribute shorter than 4 octets", "00000012 01010001 0000000a 0100000c 800e")]
    [InlineData("TLV attribute length past the transform", "00000014 01010001 0000000c 0100000c 000e0001")]
    [InlineData("second TLV attribute length past the transform", "0000001a 01010001 00000012 0100000c 00110002 aabb 00120001")]
    public void TryParse_MalformedSaPayload_RejectsWithInvalidSyntax(string description, string body)
    {
        AssertRejected(Single(PayloadType.SecurityAssociation, body), PayloadType.SecurityAssociation, description);
    }

    // ---- KE (RFC 7296 3.4) ----

    [Theory]
    [InlineData("group number cut short", "000e")]
    [InlineData("reserved field cut short", "000e00")]
    [InlineData("no key exchange data", "000e0000")]
    public void TryParse_MalformedKePayload_RejectsWithInvalidSyntax(string description, string body)
    {
        AssertRejected(Single(PayloadType.KeyExchange, body), PayloadType.KeyExchange, description);
    }

    // ---- IDi and IDr (RFC 7296 3.5) ----

    [Theory]
    [InlineData("ID type only", "02")]
    [InlineData("reserved field cut short", "020000")]
    [InlineData("no identification data", "02000000")]
    [InlineData("IPv4 address of 3 octets", "01000000 c00002")]
    [InlineData("IPv4 address of 5 octets", "01000000 c000020100")]
    [InlineData("IPv4 address of 16 octets", "01000000 20010db8000000000000000000000001")]
    [InlineData("IPv6 address of 4 octets", "05000000 c0000201")]
    [InlineData("IPv6 address of 15 octets", "05000000 20010db80000000000000000000000")]
    [InlineData("IPv6 address of 17 octets", "05000000 20010db8000000000000000000000001ff")]
    public void TryParse_MalformedIdPayload_RejectsWithInvalidSyntax(string description, string body)
    {
        foreach (var type in new[] { PayloadType.IdInitiator, PayloadType.IdResponder })
            AssertRejected(Single(type, body), type, $"{type}: {description}");
    }

    // ---- CERT and CERTREQ (RFC 7296 3.6, 3.7) ----

    [Theory]
    [InlineData(PayloadType.Certificate, "encoding only", "04")]
    [InlineData(PayloadType.CertificateRequest, "X.509 CA hash of 19 octets", "04 00112233445566778899aabbccddeeff001122")]
    [InlineData(PayloadType.CertificateRequest, "X.509 CA hash of 21 octets", "04 00112233445566778899aabbccddeeff0011223344")]
    [InlineData(PayloadType.CertificateRequest, "X.509 CA hashes of 39 octets",
        "04 00112233445566778899aabbccddeeff00112233 00112233445566778899aabbccddeeff001122")]
    public void TryParse_MalformedCertificatePayload_RejectsWithInvalidSyntax(PayloadType type, string description, string body)
    {
        AssertRejected(Single(type, body), type, description);
    }

    [Fact]
    public void TryParse_CertificateRequestWithEncodingOnly_IsAcceptedAsAnyCa()
    {
        var datagram = Single(PayloadType.CertificateRequest, "04");

        Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());
        var request = Assert.IsType<CertificatePayload>(Assert.Single(message.Payloads));
        Assert.True(request.IsRequest);
        Assert.Empty(request.Data);
    }

    // ---- AUTH (RFC 7296 3.8) ----

    [Theory]
    [InlineData("method only", "02")]
    [InlineData("reserved field cut short", "020000")]
    [InlineData("no authentication data", "02000000")]
    public void TryParse_MalformedAuthPayload_RejectsWithInvalidSyntax(string description, string body)
    {
        AssertRejected(Single(PayloadType.Authentication, body), PayloadType.Authentication, description);
    }

    // ---- Nonce (RFC 7296 3.9) ----

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(257)]
    [InlineData(1000)]
    public void TryRead_NonceOutside16To256_RejectsWithInvalidSyntax(int length)
    {
        // RFC 7296 3.9: "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive."
        var datagram = Single(PayloadType.Nonce, Convert.ToHexString(new byte[length]));

        AssertRejected(datagram, PayloadType.Nonce, $"nonce of {length} octets");
    }

    [Theory]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(255)]
    [InlineData(256)]
    public void TryRead_NonceOf16To256_IsAccepted(int length)
    {
        var datagram = Single(PayloadType.Nonce, Convert.ToHexString(new byte[length]));

        Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());
        Assert.Equal(length, Assert.IsType<NoncePayload>(Assert.Single(message.Payloads)).Data.Length);
    }

    // ---- Notify (RFC 7296 3.10) ----

    [Theory]
    [InlineData("protocol only", "03")]
    [InlineData("notify type cut short", "030440")]
    [InlineData("SPI size 4, no SPI", "0304 4009")]
    [InlineData("SPI size 4, SPI cut short", "0304 4009 112233")]
    [InlineData("SPI size 8, 4 octets left", "0308 4009 11223344")]
    [InlineData("SPI size 255", "03ff 4009 11223344")]
    public void TryParse_MalformedNotifyPayload_RejectsWithInvalidSyntax(string description, string body)
    {
        AssertRejected(Single(PayloadType.Notify, body), PayloadType.Notify, description);
    }

    [Fact]
    public void TryParse_NotifySpiFillingTheBody_IsAcceptedWithEmptyData()
    {
        var datagram = Single(PayloadType.Notify, "0304 4009 11223344");

        Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());
        var notify = Assert.IsType<NotifyPayload>(Assert.Single(message.Payloads));
        Assert.Equal(NotifyType.RekeySa, notify.NotifyType);
        Assert.Equal(ProtocolId.Esp, notify.Protocol);
        Assert.Equal(Hex("11223344"), notify.Spi);
        Assert.Empty(notify.Data);
    }

    // ---- Delete (RFC 7296 3.11) ----

    [Theory]
    [InlineData("protocol only", "01")]
    [InlineData("count cut short", "010000")]
    [InlineData("IKE with one SPI counted", "01000001")]
    [InlineData("IKE with an 8-octet SPI", "01080001 0011223344556677")]
    [InlineData("IKE with a 4-octet SPI", "01040001 11223344")]
    [InlineData("IKE with octets after the header", "01000000 00")]
    [InlineData("ESP with an 8-octet SPI size", "03080001 0011223344556677")]
    [InlineData("ESP with SPI size 0", "03000001")]
    [InlineData("ESP with SPI size 3", "03030001 112233")]
    [InlineData("ESP counting 2, holding 1", "03040002 11223344")]
    [InlineData("ESP counting 1, holding 2", "03040001 11223344 55667788")]
    [InlineData("ESP counting 1, SPI cut short", "03040001 112233")]
    [InlineData("ESP counting 65535", "0304ffff 11223344")]
    [InlineData("AH counting 2, holding 1", "02040002 11223344")]
    [InlineData("unknown protocol 4", "04040001 11223344")]
    [InlineData("protocol 0", "00000000")]
    [InlineData("protocol 255", "ff040001 11223344")]
    public void TryParse_MalformedDeletePayload_RejectsWithInvalidSyntax(string description, string body)
    {
        AssertRejected(Single(PayloadType.Delete, body), PayloadType.Delete, description);
    }

    // ---- Vendor ID (RFC 7296 3.12) ----

    [Fact]
    public void TryParse_EmptyVendorId_RejectsWithInvalidSyntax()
    {
        AssertRejected(Single(PayloadType.VendorId, ""), PayloadType.VendorId, "empty vendor ID");
    }

    // ---- TSi and TSr (RFC 7296 3.13) ----

    [Theory]
    [InlineData("count only", "01")]
    [InlineData("reserved field cut short", "010000")]
    [InlineData("zero selectors", "00000000")]
    [InlineData("zero selectors, one present", "00000000 07000010 0000ffff 0a010000 0a0100ff")]
    [InlineData("selector header cut short", "01000000 0700")]
    [InlineData("IPv4 selector length 17", "01000000 07000011 0000ffff 0a010000 0a0100ff 00")]
    [InlineData("IPv4 selector length 15", "01000000 0700000f 0000ffff 0a010000 0a0100")]
    [InlineData("IPv4 selector length 40", "01000000 07000028 0000ffff 20010db8000000000000000000000000 20010db8ffffffffffffffffffffffff")]
    [InlineData("IPv4 selector length 0", "01000000 07000000 0000ffff 0a010000 0a0100ff")]
    [InlineData("IPv4 addresses cut short", "01000000 07000010 0000ffff 0a010000")]
    [InlineData("IPv6 selector length 16", "01000000 08000010 0000ffff 0a010000 0a0100ff")]
    [InlineData("IPv6 selector length 41", "01000000 08000029 0000ffff 20010db8000000000000000000000000 20010db8ffffffffffffffffffffffff 00")]
    [InlineData("IPv6 addresses cut short", "01000000 08000028 0000ffff 20010db8000000000000000000000000")]
    [InlineData("count 2, one selector", "02000000 07000010 0000ffff 0a010000 0a0100ff")]
    [InlineData("count 255, one selector", "ff000000 07000010 0000ffff 0a010000 0a0100ff")]
    [InlineData("octets after the selectors", "01000000 07000010 0000ffff 0a010000 0a0100ff 00")]
    [InlineData("a second selector after the count", "01000000 07000010 0000ffff 0a010000 0a0100ff 07000010 0000ffff 0a020000 0a0200ff")]
    [InlineData("unknown selector type, length below 4", "01000000 09000003")]
    [InlineData("unknown selector type, length past the payload", "01000000 09000010 0000")]
    public void TryParse_MalformedTsPayload_RejectsWithInvalidSyntax(string description, string body)
    {
        foreach (var type in new[] { PayloadType.TrafficSelectorInitiator, PayloadType.TrafficSelectorResponder })
            AssertRejected(Single(type, body), type, $"{type}: {description}");
    }

    // ---- SK (RFC 7296 3.14) ----

    [Fact]
    public void TryParse_SkFollowedByAnotherPayload_RejectsWithInvalidSyntax()
    {
        // RFC 7296 3.14: "the Encrypted payload, if present in a message, MUST be the last payload in the message".
        var datagram = Datagram(PayloadType.Encrypted, [
            .. Payload(PayloadType.IdInitiator, "00112233445566778899aabbccddeeff"),
            .. Payload(PayloadType.NoNextPayload, Nonce16)]);

        AssertRejected(datagram, PayloadType.Encrypted, "SK then Nonce");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(17)]
    public void TryParse_SkWithTrailingOctets_RejectsWithInvalidSyntax(int trailing)
    {
        var datagram = Datagram(PayloadType.Encrypted, [
            .. Payload(PayloadType.IdInitiator, "00112233445566778899aabbccddeeff"),
            .. new byte[trailing]]);

        AssertRejected(datagram, PayloadType.Encrypted, $"{trailing} octets after SK");
    }

    [Fact]
    public void TryParse_SkAfterCleartextPayloads_IsAcceptedAsLastWithItsDatagramOffset()
    {
        var nonce = Payload(PayloadType.VendorId, Nonce16);
        var vendor = Payload(PayloadType.Encrypted, "aabbccdd");
        var datagram = Datagram(PayloadType.Nonce, [.. nonce, .. vendor, .. Payload(PayloadType.IdInitiator, "00112233445566778899aabbccddeeff")]);

        Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());

        var sk = Assert.IsType<EncryptedPayload>(message.Payloads[^1]);
        Assert.Equal(PayloadType.IdInitiator, sk.FirstInnerPayload);
        Assert.Equal(FirstPayload + nonce.Length + vendor.Length, sk.DatagramOffset);
        Assert.Equal(datagram, message.ToArray());
    }

    // ---- SKF (RFC 7383 2.5) ----

    [Theory]
    [InlineData("fragment number cut short", "0001")]
    [InlineData("total cut short", "000100")]
    [InlineData("no encrypted content", "00010001")]
    [InlineData("fragment number 0", "0000 0002 aabbccdd")]
    [InlineData("fragment number and total 0", "0000 0000 aabbccdd")]
    [InlineData("total fragments 0", "0001 0000 aabbccdd")]
    [InlineData("fragment number past the total", "0003 0002 aabbccdd")]
    [InlineData("fragment number 65535 of 1", "ffff 0001 aabbccdd")]
    public void TryParse_MalformedSkfPayload_RejectsWithInvalidSyntax(string description, string body)
    {
        // RFC 7383 2.5: Fragment Number "MUST start with 1"; Total Fragments "MUST NOT be zero".
        AssertRejected(Single(PayloadType.EncryptedFragment, body), PayloadType.EncryptedFragment, description);
    }

    [Fact]
    public void TryParse_SkfFollowedByAnotherPayload_RejectsWithInvalidSyntax()
    {
        var datagram = Datagram(PayloadType.EncryptedFragment, [
            .. Payload(PayloadType.IdInitiator, "0001 0002 aabbccdd"),
            .. Payload(PayloadType.NoNextPayload, Nonce16)]);

        AssertRejected(datagram, PayloadType.EncryptedFragment, "SKF then Nonce");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(65535, 65535)]
    public void TryParse_SkfNumberWithinTotal_IsAccepted(int number, int total)
    {
        var datagram = Single(PayloadType.EncryptedFragment, $"{number:x4}{total:x4}aabbccdd");

        Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());
        var fragment = Assert.IsType<EncryptedFragmentPayload>(Assert.Single(message.Payloads));
        Assert.Equal(number, fragment.FragmentNumber);
        Assert.Equal(total, fragment.TotalFragments);
        Assert.Equal(FirstPayload, fragment.DatagramOffset);
    }

    // ---- CP (RFC 7296 3.15) ----

    [Theory]
    [InlineData("CFG type only", "01")]
    [InlineData("reserved field cut short", "010000")]
    [InlineData("attribute header cut short", "01000000 0001")]
    [InlineData("attribute length past the payload", "01000000 00010005 0a000001")]
    [InlineData("attribute length 65535", "01000000 0001ffff 0a000001")]
    [InlineData("second attribute header cut short", "01000000 00010000 000300")]
    [InlineData("second attribute length past the payload", "01000000 00010000 00030004 0808")]
    public void TryParse_MalformedCpPayload_RejectsWithInvalidSyntax(string description, string body)
    {
        AssertRejected(Single(PayloadType.Configuration, body), PayloadType.Configuration, description);
    }

    // ---- EAP (RFC 7296 3.16, RFC 3748 4) ----

    [Theory]
    [InlineData("code only", "02")]
    [InlineData("length cut short", "020100")]
    [InlineData("EAP length larger than the payload", "02010006 01")]
    [InlineData("EAP length smaller than the payload", "02010004 01")]
    [InlineData("EAP length 0", "02010000 01")]
    [InlineData("EAP length 65535", "0201ffff 01")]
    [InlineData("code 0", "00010004")]
    [InlineData("code 5", "05010005 01")]
    [InlineData("code 255", "ff010004")]
    [InlineData("Request without a type", "01010004")]
    [InlineData("Response without a type", "02010004")]
    [InlineData("Success with data", "03010005 01")]
    [InlineData("Failure with data", "04010006 0102")]
    public void TryParse_MalformedEapPayload_RejectsWithInvalidSyntax(string description, string body)
    {
        AssertRejected(Single(PayloadType.ExtensibleAuthentication, body), PayloadType.ExtensibleAuthentication, description);
    }

    // ---- round trips of valid payloads built with the public constructors ----

    private static readonly Dictionary<string, Func<IkePayload>> ValidPayloads = new(StringComparer.Ordinal)
    {
        ["SA, IKE proposals with key length and other attributes"] = () => new SecurityAssociationPayload([
            new Proposal(1, ProtocolId.Ike, [], [
                new Transform(TransformType.Encryption, 12, 256),
                new Transform(TransformType.Encryption, 20, 128)
                {
                    OtherAttributes = [new TransformAttribute(17, true, 5, []), new TransformAttribute(18, false, 0, [1, 2, 3])],
                },
                new Transform(TransformType.Prf, 5),
                new Transform(TransformType.Integrity, 12),
                new Transform(TransformType.KeyExchange, 14),
                new Transform(TransformType.KeyExchange, 31)]),
            new Proposal(2, ProtocolId.Ike, [], [
                new Transform(TransformType.Encryption, 28),
                new Transform(TransformType.Prf, 7),
                new Transform(TransformType.KeyExchange, 21)])]),
        ["SA, IKE rekey proposal with an 8-octet SPI"] = () => new SecurityAssociationPayload([
            new Proposal(1, ProtocolId.Ike, Hex("0011223344556677"), [
                new Transform(TransformType.Encryption, 20, 256),
                new Transform(TransformType.Prf, 5),
                new Transform(TransformType.KeyExchange, 19)])]),
        ["SA, ESP proposal with a 4-octet SPI"] = () => new SecurityAssociationPayload([
            new Proposal(1, ProtocolId.Esp, Hex("c0ffee01"), [
                new Transform(TransformType.Encryption, 20, 256),
                new Transform(TransformType.SequenceNumbers, 0),
                new Transform(TransformType.SequenceNumbers, 1)])]),
        ["KE, MODP 2048"] = () => new KeyExchangePayload(14, Filled(256, 0x5a)),
        ["KE, Curve25519"] = () => new KeyExchangePayload(31, Filled(32, 0x09)),
        ["IDi, FQDN"] = () => new IdentificationPayload(true, Identity.Parse("moon.s2s.test")),
        ["IDr, IPv4"] = () => new IdentificationPayload(false, Identity.FromAddress(IPAddress.Parse("192.0.2.2"))),
        ["IDi, IPv6"] = () => new IdentificationPayload(true, Identity.FromAddress(IPAddress.Parse("2001:db8::1"))),
        ["IDr, DER ASN.1 DN"] = () => new IdentificationPayload(false, Identity.Parse("C=CH, O=Lab, CN=sun")),
        ["IDi, KEY_ID"] = () => new IdentificationPayload(true, new Identity(IdentificationType.KeyId, [0x01, 0x02])),
        ["CERT, X.509"] = () => new CertificatePayload(false, CertificateEncoding.X509Signature, Hex("3082010a0282010100")),
        ["CERTREQ, two CA hashes"] = () => new CertificatePayload(true, CertificateEncoding.X509Signature, Filled(40, 0xca)),
        ["CERTREQ, any CA"] = () => new CertificatePayload(true, CertificateEncoding.X509Signature, []),
        ["AUTH, PSK"] = () => new AuthenticationPayload(AuthMethod.SharedKeyMessageIntegrityCode, Filled(32, 0xa5)),
        ["AUTH, digital signature"] = () => new AuthenticationPayload(AuthMethod.DigitalSignature, Filled(80, 0x30)),
        ["Nonce, 16 octets"] = () => new NoncePayload(Filled(16, 0x11)),
        ["Nonce, 256 octets"] = () => new NoncePayload(Filled(256, 0x22)),
        ["Notify, status with data"] = () => NotifyPayload.Status(NotifyType.NatDetectionSourceIp, Filled(20, 0x44)),
        ["Notify, status without data"] = () => NotifyPayload.Status(NotifyType.Ikev2FragmentationSupported),
        ["Notify, error"] = () => NotifyPayload.Status(NotifyType.NoProposalChosen),
        ["Notify, REKEY_SA with an ESP SPI"] = () => new NotifyPayload(NotifyType.RekeySa, [], ProtocolId.Esp, Hex("c0ffee01")),
        ["Notify, unknown type with data"] = () => new NotifyPayload((NotifyType)40000, [1, 2, 3]),
        ["Delete, IKE SA"] = DeletePayload.IkeSa,
        ["Delete, two ESP SPIs"] = () => new DeletePayload(ProtocolId.Esp, [0xc0ffee01, 0x5faac3e1]),
        ["Delete, one AH SPI"] = () => new DeletePayload(ProtocolId.Ah, [0x01020304]),
        ["Vendor ID, one octet"] = () => new VendorIdPayload([0x01]),
        ["Vendor ID, strongSwan"] = () => new VendorIdPayload(Hex("882fe56d6fd20dbc2251613b2ebe5beb")),
        ["TSi, IPv4 prefix"] = () => new TrafficSelectorPayload(true, [TrafficSelector.FromPrefix(IPAddress.Parse("10.1.0.0"), 24)]),
        ["TSr, IPv6 prefix with protocol and ports"] = () => new TrafficSelectorPayload(false, [
            TrafficSelector.FromPrefix(IPAddress.Parse("2001:db8:2::"), 48, 6, 443, 443)]),
        ["TSi, IPv4 and IPv6"] = () => new TrafficSelectorPayload(true, [
            TrafficSelector.FromPrefix(IPAddress.Parse("10.1.0.0"), 16),
            TrafficSelector.FromPrefix(IPAddress.Parse("2001:db8:1::"), 64)]),
        ["TSr, unknown selector type kept raw"] = () => new TrafficSelectorPayload(false, [
            new TrafficSelector((TrafficSelectorType)9, 0, 0, 0, IPAddress.None, IPAddress.None) { UnknownBody = Hex("09000008aabbccdd") },
            TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 24)]),
        ["CP, request with empty attributes"] = () => new ConfigurationPayload(ConfigurationType.Request, [
            new ConfigurationAttribute(ConfigurationAttributeType.InternalIp4Address, []),
            new ConfigurationAttribute(ConfigurationAttributeType.InternalIp4Dns, [])]),
        ["CP, reply with values"] = () => new ConfigurationPayload(ConfigurationType.Reply, [
            new ConfigurationAttribute(ConfigurationAttributeType.InternalIp4Address, [10, 3, 0, 1]),
            new ConfigurationAttribute(ConfigurationAttributeType.InternalIp6Address, Filled(17, 0x20))]),
        ["CP, no attributes"] = () => new ConfigurationPayload(ConfigurationType.Ack, []),
        ["EAP, Request Identity"] = () => new EapPayload(EapCode.Request, 1, [0x01]),
        ["EAP, Response with data"] = () => new EapPayload(EapCode.Response, 7, [0x01, .. "carol"u8]),
        ["EAP, Success"] = () => new EapPayload(EapCode.Success, 9, []),
        ["EAP, Failure"] = () => new EapPayload(EapCode.Failure, 9, []),
        ["Unknown non-critical payload"] = () => new UnknownPayload((PayloadType)60, [0xde, 0xad]),
        ["SK"] = () => new EncryptedPayload(PayloadType.IdInitiator, Filled(64, 0xe0)),
        ["SK, empty inner chain"] = () => new EncryptedPayload(PayloadType.NoNextPayload, Filled(32, 0xe1)),
        ["SKF, first of three"] = () => new EncryptedFragmentPayload(PayloadType.IdInitiator, 1, 3, Filled(48, 0xf0)),
        ["SKF, third of three"] = () => new EncryptedFragmentPayload(PayloadType.NoNextPayload, 3, 3, Filled(48, 0xf1)),
    };

    public static TheoryData<string> ValidPayloadNames => new(ValidPayloads.Keys);

    [Theory]
    [MemberData(nameof(ValidPayloadNames))]
    public void ToArray_ValidPayload_ParsesBackAndWritesTheSameOctets(string name)
    {
        var payload = ValidPayloads[name]();
        var written = new IkeMessage(Header(), [payload]).ToArray();

        Assert.True(IkeMessage.TryParse(written, out var parsed, out var error), $"{name}: {error}");

        var read = Assert.Single(parsed.Payloads);
        Assert.IsType(payload.GetType(), read);
        Assert.Equal(payload.Type, read.Type);
        Assert.Equal(written, parsed.ToArray());
    }

    [Fact]
    public void ToArray_EveryValidPayloadInOneMessage_ParsesBackAndWritesTheSameOctets()
    {
        var payloads = ValidPayloads
            .Where(p => !p.Key.StartsWith("SK", StringComparison.Ordinal))
            .Select(p => p.Value())
            .Append(new EncryptedPayload(PayloadType.Nonce, Filled(32, 0xee)))
            .ToList();
        var written = new IkeMessage(Header(), payloads).ToArray();

        Assert.True(IkeMessage.TryParse(written, out var parsed, out var error), error.ToString());

        Assert.Equal(payloads.Select(p => p.Type), parsed.Payloads.Select(p => p.Type));
        Assert.Equal(written, parsed.ToArray());
    }

    [Fact]
    public void ToArray_HeaderWithoutPayloads_ParsesBackAsAnEmptyMessage()
    {
        var written = new IkeMessage(Header(), []).ToArray();

        Assert.True(IkeMessage.TryParse(written, out var parsed, out var error), error.ToString());

        Assert.Empty(parsed.Payloads);
        Assert.Equal(IkeHeader.Size, written.Length);
        Assert.Equal(written, parsed.ToArray());
    }

    // ---- helpers ----

    /// <summary>A valid body of each type, which the generic tables cut, stretch and flag.</summary>
    private static string ValidBody(PayloadType type) => type switch
    {
        PayloadType.SecurityAssociation => ValidSa,
        PayloadType.KeyExchange => "000e0000 01",
        PayloadType.IdInitiator => "01000000 c0000201",
        PayloadType.IdResponder => "05000000 20010db8000000000000000000000001",
        PayloadType.Certificate => "04 30",
        PayloadType.CertificateRequest => "04 00112233445566778899aabbccddeeff00112233",
        PayloadType.Authentication => "02000000 01",
        PayloadType.Nonce => Nonce16,
        PayloadType.Notify => "0304 4009 11223344",
        PayloadType.Delete => "03040001 11223344",
        PayloadType.VendorId => "aa",
        PayloadType.TrafficSelectorInitiator => ValidTs4,
        PayloadType.TrafficSelectorResponder => "01000000 08000028 0000ffff 20010db8000000000000000000000000 20010db8ffffffffffffffffffffffff",
        PayloadType.Encrypted => "00112233445566778899aabbccddeeff",
        PayloadType.Configuration => "01000000 00010004 0a000001",
        PayloadType.ExtensibleAuthentication => "02010005 01",
        PayloadType.EncryptedFragment => "0001 0001 aa",
        _ => "0102030405",
    };

    private static IkeHeader Header() =>
        new(0xed0785991b94dfdb, 0x92a8f90daf48d4d4, PayloadType.NoNextPayload, ExchangeType.IkeAuth, HeaderFlags.Initiator, 1, 0);

    /// <summary>An IKE header announcing <paramref name="first"/>, then <paramref name="chain"/>; Length is the datagram's plus <paramref name="lengthDelta"/>.</summary>
    private static byte[] Datagram(PayloadType first, byte[] chain, int lengthDelta = 0)
    {
        var bytes = new byte[IkeHeader.Size + chain.Length];
        (Header() with { NextPayload = first, Length = checked((uint)(bytes.Length + lengthDelta)) }).Write(bytes);
        chain.CopyTo(bytes, IkeHeader.Size);
        return bytes;
    }

    /// <summary>A generic payload header and the body; Payload Length is the real one unless <paramref name="length"/> is given.</summary>
    private static byte[] Payload(PayloadType next, string bodyHex, bool critical = false, int? length = null)
    {
        var body = Hex(bodyHex);
        var bytes = new byte[IkePayload.GenericHeaderSize + body.Length];
        bytes[0] = (byte)next;
        bytes[1] = critical ? (byte)0x80 : (byte)0;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), checked((ushort)(length ?? bytes.Length)));
        body.CopyTo(bytes, IkePayload.GenericHeaderSize);
        return bytes;
    }

    /// <summary>A datagram carrying one payload of <paramref name="type"/> with this body.</summary>
    private static byte[] Single(PayloadType type, string bodyHex) => Datagram(type, Payload(PayloadType.NoNextPayload, bodyHex));

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    private static byte[] Filled(int length, byte value)
    {
        var bytes = new byte[length];
        bytes.AsSpan().Fill(value);
        return bytes;
    }

    private static ParseError Rejected(byte[] datagram, string description)
    {
        Assert.False(IkeMessage.TryParse(datagram, out _, out var error), $"accepted: {description}");
        Assert.False(string.IsNullOrEmpty(error.Reason), description);
        return error;
    }

    /// <summary>Refused with <paramref name="notify"/>, naming <paramref name="payload"/>, at an offset between its start and the datagram's end.</summary>
    private static void AssertRejected(byte[] datagram, PayloadType payload, string description, int payloadStart = FirstPayload,
        NotifyType notify = NotifyType.InvalidSyntax)
    {
        var error = Rejected(datagram, description);
        Assert.True(notify == error.Notify, $"{description}: notify {error.Notify}, expected {notify} ({error})");
        Assert.True(payload == error.Payload, $"{description}: payload {error.Payload}, expected {payload} ({error})");
        Assert.True(error.Offset >= payloadStart && error.Offset <= datagram.Length,
            $"{description}: offset {error.Offset} outside {payloadStart}..{datagram.Length} ({error})");
    }
}
