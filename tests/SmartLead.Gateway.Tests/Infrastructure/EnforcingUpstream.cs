using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace SmartLead.Gateway.Tests.Infrastructure;

/// <summary>
/// A stand-in for SmartLead's limit: a Kestrel app on 127.0.0.1 that counts arrivals in an exact sliding window
/// (the strictest reading of "N per window") and answers 429 past it, as SmartLead does.
/// </summary>
internal sealed class EnforcingUpstream : IAsyncDisposable
{
    private readonly Queue<long> _arrivals = new();
    private readonly List<long> _accepted = [];
    private readonly Lock _gate = new();
    private readonly int _permitLimit;
    private readonly TimeSpan _window;
    private LoopbackServer? _server;
    private int _rejected;

    public EnforcingUpstream(int permitLimit, TimeSpan window)
    {
        _permitLimit = permitLimit;
        _window = window;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public int Rejected => Volatile.Read(ref _rejected);

    /// <summary>Arrival times (Stopwatch timestamps) of the requests let through.</summary>
    public IReadOnlyList<long> Accepted
    {
        get
        {
            lock (_gate)
            {
                return [.. _accepted];
            }
        }
    }

    public async Task StartAsync()
    {
        _server = await Upstream.StartKestrelAsync(Handle);
        BaseAddress = new Uri(_server.Url);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private Task Handle(HttpContext context)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            while (_arrivals.Count > 0 && Stopwatch.GetElapsedTime(_arrivals.Peek(), now) >= _window)
            {
                _arrivals.Dequeue();
            }

            if (_arrivals.Count < _permitLimit)
            {
                _arrivals.Enqueue(now);
                _accepted.Add(now);
                context.Response.StatusCode = StatusCodes.Status200OK;
                return Task.CompletedTask;
            }

            var retryAfter = _window - Stopwatch.GetElapsedTime(_arrivals.Peek(), now);
            Interlocked.Increment(ref _rejected);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        }
    }
}
