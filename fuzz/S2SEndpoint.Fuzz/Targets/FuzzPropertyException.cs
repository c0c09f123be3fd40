namespace S2SEndpoint.Fuzz.Targets;

/// <summary>A fuzz target's property does not hold for an input: a finding, never a refusal of bad bytes.</summary>
internal sealed class FuzzPropertyException : Exception
{
    public FuzzPropertyException()
    {
    }

    public FuzzPropertyException(string message) : base(message)
    {
    }

    public FuzzPropertyException(string message, Exception inner) : base(message, inner)
    {
    }
}
