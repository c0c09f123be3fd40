using S2SEndpoint.Fuzz.Targets;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>
/// The tun-offload fuzz target's properties over its seeds mutated at random (a fixed seed): what a coverage-guided run
/// finds first, within the normal test run. Octets are overwritten, the frame is cut, and octets in the headers are the
/// likeliest to change.
/// </summary>
public sealed class TunOffloadMutationTests
{
    [Fact]
    public void Run_MutatedSeeds_KeepEveryProperty()
    {
        var seeds = FuzzCorpus.Files(TunOffloadTarget.Name).Select(File.ReadAllBytes).ToArray();
        Assert.NotEmpty(seeds);
        var random = new Random(3);
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("S2S_TUN_MUTATIONS"), out var n) ? n : 3000;
        for (var round = 0; round < rounds; round++)
        {
            var input = (byte[])seeds[random.Next(seeds.Length)].Clone();
            for (var k = random.Next(1, 4); k > 0; k--)
                input[random.Next(0, Math.Min(input.Length, random.Next(2) == 0 ? 80 : input.Length))] = (byte)random.Next(256);
            if (random.Next(6) == 0)
                input = input[..random.Next(input.Length)];
            try
            {
                TunOffloadTarget.Run(input);
            }
            catch (FuzzPropertyException e)
            {
                Assert.Fail($"round {round}, input {Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 120)))}: {e.Message}");
            }
        }
    }
}
