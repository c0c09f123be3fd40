using System.Runtime.ExceptionServices;

namespace S2SEndpoint.Esp.Tests.Support;

/// <summary>
/// Counts the exceptions raised on the current thread while it lives, caught or not: a code path that throws and
/// catches inside shows here although its caller never sees the exception. Other threads (tests running in
/// parallel) are not counted.
/// </summary>
internal sealed class FirstChanceExceptions : IDisposable
{
    private readonly int _thread = Environment.CurrentManagedThreadId;
    private readonly List<string> _seen = [];

    public FirstChanceExceptions() => AppDomain.CurrentDomain.FirstChanceException += OnException;

    public int Count
    {
        get
        {
            lock (_seen)
                return _seen.Count;
        }
    }

    /// <summary>The type of the first exception seen, or "none".</summary>
    public string First
    {
        get
        {
            lock (_seen)
                return _seen.Count == 0 ? "none" : _seen[0];
        }
    }

    public void Dispose() => AppDomain.CurrentDomain.FirstChanceException -= OnException;

    private void OnException(object? sender, FirstChanceExceptionEventArgs e)
    {
        if (Environment.CurrentManagedThreadId != _thread)
            return;
        lock (_seen)
            _seen.Add(e.Exception.GetType().Name);
    }
}
