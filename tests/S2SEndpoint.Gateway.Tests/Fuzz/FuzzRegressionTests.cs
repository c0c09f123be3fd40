using System.Text;
using S2SEndpoint.Fuzz.Targets;
using S2SEndpoint.Gateway.Config;

namespace S2SEndpoint.Gateway.Tests.Fuzz;

/// <summary>Inputs that broke a property of the configuration fuzz target (fuzz/README.md), each pinned by its behaviour.</summary>
public sealed class FuzzRegressionTests
{
    [Fact]
    public void TryParse_SecretFileNameWithNulCharacter_NamesTheKeyInsteadOfThrowing()
    {
        const string json = """{ "secrets": { "ike-x": { "file": "psk\u0000.txt" } }, "connections": {} }""";

        Assert.False(ConfigLoader.TryParse(json, ConfigTarget.NoDirectory, out _, out var problems));

        Assert.Contains(@"secrets.ike-x.file: 'psk\0.txt' holds a NUL character, which no file name can", problems);
        ConfigTarget.Run(Encoding.UTF8.GetBytes(json));
    }
}
