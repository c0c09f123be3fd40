using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Tests.Support;
using Xunit.Abstractions;

namespace S2SEndpoint.Ike.Tests.Messages;

/// <summary>
/// Fuzz targets for the two entry points of the message codec, <see cref="IkeMessage.TryParse"/> (whole
/// datagrams) and <see cref="PayloadChain.TryRead"/> (the decrypted content of an SK payload), replayed
/// inside the normal test run. Seeds are the real strongSwan 5.9.8 datagrams in Golden/strongswan-5.9.8
/// and the SK plaintexts charon logged; a fixed <see cref="Random"/> seed mutates them. Properties: no
/// exception escapes, a refusal names an offset inside the input, and an accepted input is canonical
/// after one rewrite (a = write(read(x)), then write(read(a)) == a). Every seed itself must round-trip
/// byte for byte.
/// </summary>
public sealed class FuzzReplayTests(ITestOutputHelper output)
{
    private const int RandomSeed = 7296;
    private const int DatagramMutations = 14_000;
    private const int ChainMutations = 6_000;
    private const int ChainBaseOffset = 100;
    private const int ReportedFailures = 10;
    private const int HeaderLengthOffset = 24;
    private const int HeaderNextPayloadOffset = 16;

    private static readonly Lazy<Corpus> Seeds = new(Corpus.Load);

    public static TheoryData<string, int> Datagrams => Names(Seeds.Value.Datagrams.Where(s => !s.Derived));

    public static TheoryData<string, int> Plaintexts => Names(Seeds.Value.Chains);

    [Fact]
    public void Corpus_HoldsEveryStrongSwanCapture()
    {
        var corpus = Seeds.Value;
        var cases = corpus.Datagrams.Select(s => s.Case).Distinct(StringComparer.Ordinal).Count();

        Assert.Equal(Directory.GetFiles(Corpus.Folder, "*.txt").Length, cases);
        Assert.NotEmpty(corpus.Chains);
        Assert.Contains(corpus.Chains, s => s.Bytes.Length == 0);
        Assert.Contains(corpus.Chains, s => s.Bytes.Length > 100);
    }

    [Theory]
    [MemberData(nameof(Datagrams))]
    public void TryParse_StrongSwanDatagram_WritesBackByteForByte(string caseName, int message)
    {
        var datagram = Seeds.Value.Datagrams.Single(s => !s.Derived && s.Case == caseName && s.Message == message).Bytes;

        Assert.True(IkeMessage.TryParse(datagram, out var parsed, out var error), error.ToString());

        Assert.Equal(Convert.ToHexStringLower(datagram), Convert.ToHexStringLower(parsed.ToArray()));
    }

    [Theory]
    [MemberData(nameof(Plaintexts))]
    public void TryRead_StrongSwanSkPlaintext_WritesBackByteForByte(string caseName, int message)
    {
        var seed = Seeds.Value.Chains.Single(s => s.Case == caseName && s.Message == message);
        var payloads = new List<IkePayload>();

        Assert.True(PayloadChain.TryRead(seed.First, seed.Bytes, 0, payloads, out var error), error.ToString());

        Assert.Equal(seed.First, PayloadChain.FirstType(payloads));
        Assert.Equal(Convert.ToHexStringLower(seed.Bytes), Convert.ToHexStringLower(PayloadChain.ToArray(payloads)));
    }

    [Theory]
    [MemberData(nameof(Plaintexts))]
    public void TryParse_StrongSwanSkPlaintextSentInTheClear_WritesBackByteForByte(string caseName, int message)
    {
        // The IKE_AUTH and CREATE_CHILD_SA payloads as TryParse would meet them if a peer sent them unprotected.
        var datagram = Seeds.Value.Datagrams.Single(s => s.Derived && s.Case == caseName && s.Message == message).Bytes;

        Assert.True(IkeMessage.TryParse(datagram, out var parsed, out var error), error.ToString());

        Assert.Equal(Convert.ToHexStringLower(datagram), Convert.ToHexStringLower(parsed.ToArray()));
    }

    [Fact]
    public void TryParse_MutatedStrongSwanDatagrams_NeverThrowsAndAcceptedInputIsCanonical()
    {
        var stats = Run(Seeds.Value.Datagrams, DatagramMutations, isDatagram: true, CheckDatagram);

        output.WriteLine(stats.Summary);
        Assert.True(stats.Failures.Count == 0, stats.Report);
        Assert.InRange(stats.Accepted, 1, DatagramMutations - 1);
    }

    [Fact]
    public void TryRead_MutatedSkPlaintexts_NeverThrowsAndAcceptedInputIsCanonical()
    {
        var stats = Run(Seeds.Value.Chains, ChainMutations, isDatagram: false, CheckChain);

        output.WriteLine(stats.Summary);
        Assert.True(stats.Failures.Count == 0, stats.Report);
        Assert.InRange(stats.Accepted, 1, ChainMutations - 1);
    }

    // ---- the properties ----

    /// <summary>Null when the input meets the properties; otherwise what went wrong.</summary>
    private static string? CheckDatagram(Seed seed, byte[] input, Stats stats)
    {
        if (!IkeMessage.TryParse(input, out var message, out var error))
            return CheckRefusal(error, 0, input.Length, stats);
        stats.Accepted++;
        var once = message.ToArray();
        if (!IkeMessage.TryParse(once, out var again, out var againError))
            return $"accepted, but its rewrite {Convert.ToHexStringLower(once)} is refused: {againError}";
        var twice = again.ToArray();
        return once.AsSpan().SequenceEqual(twice)
            ? null
            : $"rewrite is not canonical: {Convert.ToHexStringLower(once)} became {Convert.ToHexStringLower(twice)}";
    }

    private static string? CheckChain(Seed seed, byte[] input, Stats stats)
    {
        var payloads = new List<IkePayload>();
        if (!PayloadChain.TryRead(seed.First, input, ChainBaseOffset, payloads, out var error))
            return CheckRefusal(error, ChainBaseOffset, input.Length, stats);
        stats.Accepted++;
        var first = PayloadChain.FirstType(payloads);
        var once = PayloadChain.ToArray(payloads);
        var again = new List<IkePayload>();
        if (!PayloadChain.TryRead(first, once, ChainBaseOffset, again, out var againError))
            return $"accepted, but its rewrite {(byte)first}:{Convert.ToHexStringLower(once)} is refused: {againError}";
        var twice = PayloadChain.ToArray(again);
        if (PayloadChain.FirstType(again) != first)
            return $"rewrite starts with {PayloadChain.FirstType(again)}, then with {first}";
        return once.AsSpan().SequenceEqual(twice)
            ? null
            : $"rewrite is not canonical: {Convert.ToHexStringLower(once)} became {Convert.ToHexStringLower(twice)}";
    }

    private static string? CheckRefusal(ParseError error, int baseOffset, int length, Stats stats)
    {
        stats.Refused[error.Notify] = stats.Refused.GetValueOrDefault(error.Notify) + 1;
        if (error.Notify is not (NotifyType.InvalidSyntax or NotifyType.UnsupportedCriticalPayload or NotifyType.InvalidMajorVersion))
            return $"refused with {error.Notify}: {error}";
        if (error.Offset < baseOffset || error.Offset > baseOffset + length)
            return $"refusal offset {error.Offset} outside {baseOffset}..{baseOffset + length}: {error}";
        return string.IsNullOrEmpty(error.Reason) ? $"refusal without a reason: {error}" : null;
    }

    // ---- the run ----

    private static Stats Run(IReadOnlyList<Seed> seeds, int iterations, bool isDatagram, Func<Seed, byte[], Stats, string?> check)
    {
        Assert.NotEmpty(seeds);
        var random = new Random(RandomSeed + (isDatagram ? 0 : 1));
        var stats = new Stats();
        var log = new StringBuilder();
        for (var i = 0; i < iterations; i++)
        {
            var index = random.Next(seeds.Count);
            var seed = seeds[index];
            log.Clear();
            var input = seed.Bytes.ToArray();
            var steps = 1 + random.Next(3);
            for (var step = 0; step < steps; step++)
                input = Mutate(input, seeds, isDatagram, random, log);
            if (!isDatagram && random.Next(16) == 0)
            {
                // The SK header's Next Payload is inside the ciphertext's envelope too; vary the first type now and then.
                var first = (PayloadType)random.Next(256);
                seed = seed with { First = first };
                log.Append(CultureInfo.InvariantCulture, $" first={(byte)first}");
            }

            string? failure;
            try
            {
                failure = check(seed, input, stats);
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                failure = $"{ex.GetType().Name}: {ex.Message}{Environment.NewLine}{ex.StackTrace}";
            }
            if (failure is not null)
            {
                stats.Failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"iteration {i} (Random seed {RandomSeed}), seed #{index} {seed.Name}, mutations [{log.ToString().Trim()}], input {(isDatagram ? "" : $"first {(byte)seed.First} ")}{Convert.ToHexStringLower(input)}:{Environment.NewLine}  {failure}"));
            }
        }
        stats.Iterations = iterations;
        return stats;
    }

    private static byte[] Mutate(byte[] input, IReadOnlyList<Seed> pool, bool isDatagram, Random random, StringBuilder log)
    {
        var kind = random.Next(10);
        if (input.Length == 0 && kind < 5)
            kind = 5;
        switch (kind)
        {
            case 0:
            {
                var at = random.Next(input.Length);
                var bit = random.Next(8);
                input[at] ^= (byte)(1 << bit);
                log.Append(CultureInfo.InvariantCulture, $" flip@{at}.{bit}");
                return input;
            }
            case 1:
            case 2:
            case 3:
            {
                var at = random.Next(input.Length);
                input[at] = kind switch { 1 => (byte)0x00, 2 => (byte)0xFF, _ => (byte)random.Next(256) };
                log.Append(CultureInfo.InvariantCulture, $" set@{at}={input[at]:x2}");
                return input;
            }
            case 4:
            {
                var keep = random.Next(input.Length);
                log.Append(CultureInfo.InvariantCulture, $" cut@{keep}");
                return FixLength(input[..keep], isDatagram, random, log);
            }
            case 5:
            {
                var extra = new byte[1 + random.Next(64)];
                random.NextBytes(extra);
                log.Append(CultureInfo.InvariantCulture, $" extend+{Convert.ToHexStringLower(extra)}");
                return FixLength([.. input, .. extra], isDatagram, random, log);
            }
            case 6:
                return EditLengthField(input, isDatagram, random, log);
            case 7:
            {
                // A 16-bit field anywhere moved by a little: proposal, transform, attribute, selector and
                // EAP lengths, SPI sizes and counts next to them.
                if (input.Length < 2)
                    return input;
                var at = random.Next(input.Length - 1);
                var delta = random.Next(-8, 9);
                var value = unchecked((ushort)(BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(at)) + delta));
                BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(at), value);
                log.Append(CultureInfo.InvariantCulture, $" word@{at}{delta:+0;-0;+0}");
                return input;
            }
            case 8:
            {
                var other = random.Next(pool.Count);
                var donor = pool[other].Bytes;
                var cut = random.Next(input.Length + 1);
                var from = random.Next(donor.Length + 1);
                log.Append(CultureInfo.InvariantCulture, $" splice@{cut}+#{other}@{from}");
                return FixLength([.. input.AsSpan(0, cut), .. donor.AsSpan(from)], isDatagram, random, log);
            }
            default:
            {
                // Payloads repeated or dropped: a random slice copied or removed.
                if (input.Length < 2)
                    return input;
                var start = random.Next(input.Length);
                var length = 1 + random.Next(Math.Min(64, input.Length - start));
                var repeat = random.Next(2) == 0;
                log.Append(CultureInfo.InvariantCulture, $" {(repeat ? "repeat" : "drop")}@{start}+{length}");
                byte[] result = repeat
                    ? [.. input.AsSpan(0, start + length), .. input.AsSpan(start)]
                    : [.. input.AsSpan(0, start), .. input.AsSpan(start + length)];
                return FixLength(result, isDatagram, random, log);
            }
        }
    }

    /// <summary>After a change of size, usually sets the IKE header's Length to fit, so the payloads are read at all.</summary>
    private static byte[] FixLength(byte[] input, bool isDatagram, Random random, StringBuilder log)
    {
        if (isDatagram && input.Length >= IkeHeader.Size && random.Next(4) != 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(HeaderLengthOffset), (uint)input.Length);
            log.Append(" fixlen");
        }
        return input;
    }

    /// <summary>Rewrites the IKE header's Length or one payload's Payload Length, found by walking the chain.</summary>
    private static byte[] EditLengthField(byte[] input, bool isDatagram, Random random, StringBuilder log)
    {
        var fields = new List<int>();
        if (isDatagram && input.Length >= IkeHeader.Size)
            fields.Add(HeaderLengthOffset);
        var pos = isDatagram ? IkeHeader.Size : 0;
        var next = isDatagram && input.Length > HeaderNextPayloadOffset ? input[HeaderNextPayloadOffset] : 1;
        while (next != 0 && pos + IkePayload.GenericHeaderSize <= input.Length)
        {
            fields.Add(pos + 2);
            var length = BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(pos + 2));
            if (length < IkePayload.GenericHeaderSize)
                break;
            next = input[pos];
            pos += length;
        }
        if (fields.Count == 0)
            return input;
        var at = fields[random.Next(fields.Count)];
        var isHeader = isDatagram && at == HeaderLengthOffset;
        long old = isHeader ? BinaryPrimitives.ReadUInt32BigEndian(input.AsSpan(at)) : BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(at));
        var value = random.Next(6) switch
        {
            0 => 0L,
            1 => random.Next(IkePayload.GenericHeaderSize + 1),
            2 => old + 1,
            3 => old - 1,
            4 => old + random.Next(-64, 65),
            _ => random.Next(isHeader ? int.MaxValue : ushort.MaxValue + 1),
        };
        if (isHeader)
            BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(at), unchecked((uint)value));
        else
            BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(at), unchecked((ushort)value));
        log.Append(CultureInfo.InvariantCulture, $" len@{at}={value}");
        return input;
    }

    // ---- the corpus ----

    private static TheoryData<string, int> Names(IEnumerable<Seed> seeds)
    {
        var data = new TheoryData<string, int>();
        foreach (var seed in seeds)
            data.Add(seed.Case, seed.Message);
        return data;
    }

    /// <summary>
    /// One seed: a datagram (its non-ESP marker removed), or an SK plaintext with its first payload type.
    /// A derived datagram carries an SK message's plaintext in the clear after that message's header.
    /// </summary>
    private sealed record Seed(string Case, int Message, PayloadType First, byte[] Bytes, bool Derived = false)
    {
        public string Name => string.Create(CultureInfo.InvariantCulture, $"{Case} msg.{Message}{(Derived ? " (SK plaintext in the clear)" : "")}");
    }

    private sealed record Corpus(IReadOnlyList<Seed> Datagrams, IReadOnlyList<Seed> Chains)
    {
        public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "Golden", "strongswan-5.9.8");

        public static Corpus Load()
        {
            var datagrams = new List<Seed>();
            var chains = new List<Seed>();
            var files = Directory.GetFiles(Folder, "*.txt");
            Array.Sort(files, StringComparer.Ordinal);
            foreach (var file in files)
            {
                var golden = GoldenCase.Load(Path.GetFileNameWithoutExtension(file));
                for (var n = 0; n < golden.MessageCount; n++)
                {
                    var datagram = golden.Message(n);
                    datagrams.Add(new Seed(golden.Name, n, (PayloadType)datagram[HeaderNextPayloadOffset], datagram));
                    if (!golden.Has($"msg.{n}.sk_first_payload"))
                        continue;
                    var first = (PayloadType)byte.Parse(golden.Text($"msg.{n}.sk_first_payload"), CultureInfo.InvariantCulture);
                    // An empty value ("msg.N.sk_plain = ") is an SK payload with no inner payloads.
                    var plain = golden.Has($"msg.{n}.sk_plain") ? golden.Bytes($"msg.{n}.sk_plain") : [];
                    chains.Add(new Seed(golden.Name, n, first, plain));
                    var clear = new byte[IkeHeader.Size + plain.Length];
                    datagram.AsSpan(0, IkeHeader.Size).CopyTo(clear);
                    clear[HeaderNextPayloadOffset] = (byte)first;
                    BinaryPrimitives.WriteUInt32BigEndian(clear.AsSpan(HeaderLengthOffset), (uint)clear.Length);
                    plain.CopyTo(clear, IkeHeader.Size);
                    datagrams.Add(new Seed(golden.Name, n, first, clear, Derived: true));
                }
            }
            return new Corpus(datagrams, chains);
        }
    }

    private sealed class Stats
    {
        public int Iterations { get; set; }
        public int Accepted { get; set; }
        public Dictionary<NotifyType, int> Refused { get; } = [];
        public List<string> Failures { get; } = [];

        public string Summary => string.Create(CultureInfo.InvariantCulture,
            $"{Iterations} mutations: {Accepted} accepted, refused {string.Join(", ", Refused.Select(r => $"{r.Value} with {r.Key}"))}; {Failures.Count} failures");

        public string Report => Summary + Environment.NewLine + string.Join(Environment.NewLine, Failures.Take(ReportedFailures));
    }
}
