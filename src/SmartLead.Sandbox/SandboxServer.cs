using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using SmartLead.Sandbox.Endpoints;
using SmartLead.Sandbox.Faults;
using SmartLead.Sandbox.Recording;

namespace SmartLead.Sandbox;

/// <summary>
/// The sandbox on its own Kestrel listener: what tests, benchmarks and the gateway's Development mode start.
/// It reads no configuration files and no environment variables, so nothing on the machine (an
/// <c>ASPNETCORE_URLS</c>, a stray appsettings.json) can change where or how it listens.
/// </summary>
public sealed class SandboxServer : IAsyncDisposable
{
    /// <summary>Loopback with a port chosen by the OS: the safe default for parallel tests.</summary>
    public const string DefaultUrl = "http://127.0.0.1:0";

    private readonly IWebHost _app;
    private readonly SandboxRequestLog _log;
    private readonly SandboxApiKeys _keys;
    private readonly FaultInjector _faults;
    private int _disposed;

    private SandboxServer(IWebHost app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        _log = app.Services.GetRequiredService<SandboxRequestLog>();
        _keys = app.Services.GetRequiredService<SandboxApiKeys>();
        _faults = app.Services.GetRequiredService<FaultInjector>();
    }

    /// <summary>Where the sandbox listens, with the real port, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The key the sandbox accepts right now.</summary>
    public string ApiKey => _keys.Current;

    /// <summary>Every request received so far, oldest first (the newest 100,000 are kept).</summary>
    public IReadOnlyList<SandboxRequest> Requests => _log.Snapshot();

    /// <summary>
    /// Starts the sandbox on <paramref name="url"/> (http, loopback only: <c>127.0.0.1</c>, <c>[::1]</c> or
    /// <c>localhost</c>; port 0 picks a free one) and returns once it accepts connections.
    /// </summary>
    /// <param name="url">Where to listen. Default <see cref="DefaultUrl"/>.</param>
    /// <param name="configure">Adjusts <see cref="SandboxOptions"/>; invalid values fail the start with every error listed.</param>
    /// <param name="timeProvider">Clock for limits, latency and timestamps; tests pass a FakeTimeProvider. Default system clock.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<SandboxServer> StartAsync(
        string url = DefaultUrl,
        Action<SandboxOptions>? configure = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        var endpoint = ParseLoopbackEndpoint(url);

        // A plain web host, not WebApplication: WebApplication's host announces itself on the process-wide hosting
        // diagnostics, and a test host that listens there (WebApplicationFactory) would take the sandbox for the
        // application it hosts and swap its Kestrel for an in-memory server. This one announces nothing.
        var app = new WebHostBuilder()
            .UseKestrel(k => k.Listen(endpoint))
            .ConfigureServices(services =>
            {
                if (timeProvider is not null)
                {
                    services.AddSingleton(timeProvider);
                }

                services.AddRouting();
                services.AddSmartLeadSandbox(configure);
            })
            .Configure(pipeline =>
            {
                pipeline.UseMiddleware<RecordingMiddleware>();
                pipeline.UseRouting();
                pipeline.UseEndpoints(endpoints => endpoints.MapSmartLeadSandbox());
            })
            .Build();

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            app.Dispose();
            throw;
        }

        var address = app.ServerFeatures.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new SandboxServer(app, new Uri(address));
    }

    /// <summary>Forgets the requests recorded so far.</summary>
    public void ClearRequests() => _log.Clear();

    /// <summary>Accepts <paramref name="newKey"/> from now on; the previous key gets 401, as after a rotation in SmartLead.</summary>
    public void RotateApiKey(string newKey) => _keys.Rotate(newKey);

    /// <summary>
    /// Answers the next <paramref name="count"/> authenticated, admitted requests with <paramref name="statusCode"/>
    /// (SmartLead's envelope; a 429 also carries <c>Retry-After: 1</c>), before any configured fault rates apply.
    /// </summary>
    public void FailNext(int count, int statusCode = 503)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        _faults.Script(statusCode, count);
    }

    /// <summary>Stops listening, letting requests in flight finish until <paramref name="cancellationToken"/> fires.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _app.StopAsync();
        if (_app is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            _app.Dispose();
        }
    }

    private static IPEndPoint ParseLoopbackEndpoint(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException($"The sandbox listens on an absolute http URL, got '{url}'.", nameof(url));
        }

        // Loopback only: the sandbox accepts a well-known development key and must never be reachable from outside.
        var address = uri.IsLoopback && string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            ? IPAddress.Loopback
            : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) && IPAddress.IsLoopback(parsed)
                ? parsed
                : throw new ArgumentException($"The sandbox only listens on a loopback address, got '{uri.Host}'.", nameof(url));
        return new IPEndPoint(address, uri.Port);
    }
}
