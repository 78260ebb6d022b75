using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SmartLead.Gateway.Tests.Infrastructure;

/// <summary>
/// A Kestrel app on 127.0.0.1 that answers the n-th request (1-based) with whatever the test's script does. Unlike a
/// WireMock scenario, whose state can move on only once a delayed answer is written, the count is taken the moment a
/// request arrives, so "the first one hangs, the next one answers" holds whatever the timing. Records every request
/// target exactly as it arrived on the wire.
/// </summary>
internal sealed class ScriptedUpstream : IAsyncDisposable
{
    private readonly Func<int, HttpContext, Task> _script;
    private readonly List<string> _targets = [];
    private LoopbackServer? _server;
    private int _count;

    private ScriptedUpstream(Func<int, HttpContext, Task> script) => _script = script;

    public string Url { get; private set; } = "";

    /// <summary>Requests that have arrived so far.</summary>
    public int RequestCount => Volatile.Read(ref _count);

    /// <summary>The raw request targets (path and query, undecoded) in arrival order.</summary>
    public IReadOnlyList<string> Targets
    {
        get
        {
            lock (_targets)
            {
                return [.. _targets];
            }
        }
    }

    public static async Task<ScriptedUpstream> StartAsync(Func<int, HttpContext, Task> script)
    {
        var upstream = new ScriptedUpstream(script);
        upstream._server = await Upstream.StartKestrelAsync(upstream.HandleAsync);
        upstream.Url = upstream._server.Url;
        return upstream;
    }

    /// <summary>Answers every request with <paramref name="status"/> and no body.</summary>
    public static Task<ScriptedUpstream> StartAsync(int status) => StartAsync((_, context) =>
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    });

    /// <summary>Never answers: holds the request until the gateway gives up on it (an attempt timeout, a cancellation).</summary>
    public static Task HangAsync(HttpContext context) =>
        Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);

    /// <summary>Waits (real time, bounded) until <paramref name="count"/> requests have arrived.</summary>
    public async Task WaitForRequestsAsync(int count)
    {
        for (var i = 0; i < 2000 && RequestCount < count; i++)
        {
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private Task HandleAsync(HttpContext context)
    {
        lock (_targets)
        {
            _targets.Add(context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "");
        }

        return _script(Interlocked.Increment(ref _count), context);
    }
}
