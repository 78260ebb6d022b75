using System.Collections.Concurrent;

namespace SmartLead.Sandbox.Recording;

/// <summary>
/// Every request the sandbox answered, oldest first. Bounded so a soak run cannot grow it without end;
/// the oldest records go first, which is what a test reading the recent traffic wants.
/// </summary>
internal sealed class SandboxRequestLog
{
    public const int Capacity = 100_000;

    private readonly ConcurrentQueue<SandboxRequest> _requests = new();

    public void Add(SandboxRequest request)
    {
        _requests.Enqueue(request);
        while (_requests.Count > Capacity && _requests.TryDequeue(out _))
        {
        }
    }

    public IReadOnlyList<SandboxRequest> Snapshot() => [.. _requests];

    public void Clear() => _requests.Clear();
}
