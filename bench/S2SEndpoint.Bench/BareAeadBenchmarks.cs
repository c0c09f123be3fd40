using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Bench;

/// <summary>
/// The yardstick: the bare AesGcm or ChaCha20Poly1305 call on the same buffer, at the same offsets, with the same
/// 8-octet AAD and a counter nonce, and nothing else. Seal copies the inner packet in first, as EspBenchmarks.Seal does.
/// </summary>
[Config(typeof(ShortConfig))]
public class BareAeadBenchmarks
{
    private const int AadSize = 8;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly byte[] _nonce = new byte[NonceSize];
    private AesGcm? _gcm;
    private ChaCha20Poly1305? _chacha;
    private byte[] _buffer = null!;
    private byte[] _inner = null!;
    private ulong _counter;

    [ParamsSource(nameof(Transforms))]
    public string Transform { get; set; } = "";

    [Params(64, 512, 1400)]
    public int InnerSize { get; set; }

    public static IEnumerable<string> Transforms => BenchSetup.AeadTransforms;

    [GlobalSetup]
    public void Setup()
    {
        var suite = BenchSetup.Suite(Transform);
        var key = RandomNumberGenerator.GetBytes(suite.Encryption.KeySize);
        if (suite.Encryption.Algorithm == Ike.Crypto.EncryptionAlgorithm.AesGcm16)
            _gcm = new AesGcm(key, TagSize);
        else
            _chacha = new ChaCha20Poly1305(key);
        _inner = BenchSetup.InnerPacket(InnerSize);
        _buffer = GC.AllocateArray<byte>(PacketBuffer.DefaultCapacity, pinned: true);
        _inner.CopyTo(_buffer, PacketBuffer.Headroom);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _gcm?.Dispose();
        _chacha?.Dispose();
    }

    [Benchmark]
    public void Seal()
    {
        _inner.CopyTo(_buffer, PacketBuffer.Headroom);
        BinaryPrimitives.WriteUInt64BigEndian(_nonce.AsSpan(4), ++_counter);
        Crypt(encrypt: true);
    }

    [Benchmark]
    public void SealOpen()
    {
        BinaryPrimitives.WriteUInt64BigEndian(_nonce.AsSpan(4), ++_counter);
        Crypt(encrypt: true);
        Crypt(encrypt: false);
    }

    private void Crypt(bool encrypt)
    {
        var text = _buffer.AsSpan(PacketBuffer.Headroom, InnerSize);
        var tag = _buffer.AsSpan(PacketBuffer.Headroom + InnerSize, TagSize);
        var aad = _buffer.AsSpan(PacketBuffer.Headroom - AadSize - 8, AadSize);
        if (_gcm is not null)
        {
            if (encrypt)
                _gcm.Encrypt(_nonce, text, text, tag, aad);
            else
                _gcm.Decrypt(_nonce, text, tag, text, aad);
        }
        else if (encrypt)
        {
            _chacha!.Encrypt(_nonce, text, text, tag, aad);
        }
        else
        {
            _chacha!.Decrypt(_nonce, text, tag, text, aad);
        }
    }
}
