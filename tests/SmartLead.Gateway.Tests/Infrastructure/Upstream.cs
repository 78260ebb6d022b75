using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using WireMock.Server;
using WireMock.Settings;

namespace SmartLead.Gateway.Tests.Infrastructure;

/// <summary>
/// Real loopback stand-ins for SmartLead, every one bound to 127.0.0.1 on a free port: WireMock for canned answers,
/// <see cref="ScriptedUpstream"/> for answers decided per request, <see cref="EnforcingUpstream"/> for SmartLead's limit.
/// </summary>
internal static class Upstream
{
    public static WireMockServer StartWireMock() =>
        WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{FreePort()}"], StartAdminInterface = false });

    /// <summary>A URL nothing listens on: connections to it are refused at once.</summary>
    public static string RefusingUrl() => $"http://127.0.0.1:{FreePort()}";

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A Kestrel server on 127.0.0.1 that runs <paramref name="app"/> for every request.</summary>
    public static Task<LoopbackServer> StartKestrelAsync(RequestDelegate app) => LoopbackServer.StartAsync(app);
}

/// <summary>
/// Kestrel on 127.0.0.1, on a free port, running one request delegate. A plain web host, not WebApplication:
/// WebApplication announces itself on the process-wide hosting diagnostics, where a WebApplicationFactory starting in
/// parallel could take it for the gateway and swap its Kestrel for an in-memory server.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
#pragma warning disable ASPDEPR004, ASPDEPR008 // their replacement, WebApplication, is the very thing to avoid here
    private readonly IWebHost _host;

    private LoopbackServer(IWebHost host)
    {
        _host = host;
        Url = host.ServerFeatures.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public string Url { get; }

    public static async Task<LoopbackServer> StartAsync(RequestDelegate app)
    {
        var host = new WebHostBuilder()
            .UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0))
            .Configure(pipeline => pipeline.Run(app))
            .Build();
        await host.StartAsync();
        return new LoopbackServer(host);
    }

    /// <summary>Stops, cutting requests still in flight after a second.</summary>
    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _host.StopAsync(stopping.Token);
        _host.Dispose();
    }
#pragma warning restore ASPDEPR004, ASPDEPR008
}
