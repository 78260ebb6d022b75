using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace SmartLead.Sandbox.Faults;

/// <summary>
/// Decides which admitted requests fail on purpose: first any scripted failures (a test's "the next three calls
/// answer 503"), then a random share drawn from the configured rates.
/// </summary>
internal sealed class FaultInjector
{
    private readonly double _rate500;
    private readonly double _rate503;
    private readonly Random? _seeded;
    private readonly Lock _seededLock = new();
    private readonly ConcurrentQueue<int> _scripted = new();

    public FaultInjector(IOptions<SandboxOptions> options)
    {
        var o = options.Value;
        _rate500 = o.FaultRate500;
        _rate503 = o.FaultRate503;
        AddedLatency = o.AddedLatency;

        // Random is not thread-safe; a seeded one is shared behind a lock so the sequence stays reproducible.
        _seeded = o.Seed is { } seed ? new Random(seed) : null;
    }

    public TimeSpan AddedLatency { get; }

    public void Script(int statusCode, int count)
    {
        for (var i = 0; i < count; i++)
        {
            _scripted.Enqueue(statusCode);
        }
    }

    /// <summary>The status to fail this request with, or null to let it through.</summary>
    public int? NextFault()
    {
        if (_scripted.TryDequeue(out var scripted))
        {
            return scripted;
        }

        if (_rate500 + _rate503 <= 0)
        {
            return null;
        }

        double draw;
        if (_seeded is null)
        {
            draw = Random.Shared.NextDouble();
        }
        else
        {
            lock (_seededLock)
            {
                draw = _seeded.NextDouble();
            }
        }

        return draw < _rate500 ? 500
            : draw < _rate500 + _rate503 ? 503
            : null;
    }
}
