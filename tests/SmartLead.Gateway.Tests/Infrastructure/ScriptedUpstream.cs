using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SmartLead.Gateway.Tests.Infrastructure;

/// <summary>
/// A Kestrel app on 127.0.0.1 that answers the n-th request (1-based) with whatever the test's script does. Unlike a
/// WireMock scenario, whose state can move on only once a delayed answer is written, the count is taken the moment a
/// request arrives, so "the first one hangs, the next one answers" holds whatever the timing.
/// </summary>
internal sealed class ScriptedUpstream : IAsyncDisposable
{
    private readonly Func<int, HttpContext, Task> _script;
    private WebApplication? _app;
    private int _count;

    private ScriptedUpstream(Func<int, HttpContext, Task> script) => _script = script;

    public string Url { get; private set; } = "";

    /// <summary>Requests that have arrived so far.</summary>
    public int RequestCount => Volatile.Read(ref _count);

    /// <summary>Waits (real time, bounded) until <paramref name="count"/> requests have arrived.</summary>
    public async Task WaitForRequestsAsync(int count)
    {
        for (var i = 0; i < 2000 && RequestCount < count; i++)
        {
            await Task.Delay(5);
        }
    }

    public static async Task<ScriptedUpstream> StartAsync(Func<int, HttpContext, Task> script)
    {
        var upstream = new ScriptedUpstream(script);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        upstream._app = builder.Build();
        upstream._app.Run(context => upstream._script(Interlocked.Increment(ref upstream._count), context));
        await upstream._app.StartAsync();
        upstream.Url = upstream._app.Urls.First();
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await _app.StopAsync(stopping.Token);
            await _app.DisposeAsync();
        }
    }
}
