using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmartLead.Gateway.LeadValidation;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using Yarp.ReverseProxy.Configuration;

namespace SmartLead.Gateway.Tests.LeadValidation;

/// <summary>
/// A real proxy for the check to sit in: Kestrel on a loopback port, YARP forwarding <c>/api/**</c> to a WireMock
/// server, the lead check in YARP's pipeline, and every log event captured.
/// </summary>
internal sealed class ProxyHarness : IAsyncDisposable
{
    private ProxyHarness(WireMockServer upstream, WebApplication app, LogCapture logs)
    {
        Upstream = upstream;
        App = app;
        Logs = logs;
        BaseAddress = new Uri(app.Urls.Single());
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WireMockServer Upstream { get; }

    public WebApplication App { get; }

    public LogCapture Logs { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    /// <summary>What reached the upstream, in arrival order.</summary>
    public IReadOnlyList<IRequestMessage> Forwarded => [.. Upstream.LogEntries.Select(e => e.RequestMessage!)];

    public static async Task<ProxyHarness> StartAsync(int maxBodyBytes = 4096, int maxLeads = 400, long? kestrelMaxRequestBodySize = null)
    {
        // An explicit loopback URL: WireMock's default listens on every interface.
        var upstream = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
        upstream
            .Given(Request.Create().UsingAnyMethod())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"ok":true}"""));

        var logs = new LogCapture();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (kestrelMaxRequestBodySize is not null)
        {
            builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = kestrelMaxRequestBodySize);
        }

        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Leads:MaxBodyBytes"] = maxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Leads:MaxLeadsPerRequest"] = maxLeads.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
        builder.Services.AddLeadValidation();
        builder.Services.AddReverseProxy().LoadFromMemory(
            [new RouteConfig { RouteId = "api", ClusterId = "smartlead", Match = new RouteMatch { Path = "/api/{**catch-all}" } }],
            [
                new ClusterConfig
                {
                    ClusterId = "smartlead",
                    Destinations = new Dictionary<string, DestinationConfig> { ["upstream"] = new() { Address = upstream.Url! } },
                },
            ]);

        var app = builder.Build();
        app.MapReverseProxy(proxy => proxy.UseLeadPayloadValidation());
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            upstream.Dispose();
            throw;
        }

        return new ProxyHarness(upstream, app, logs);
    }

    public void Reconfigure(string key, string value)
    {
        var configuration = (IConfigurationRoot)App.Services.GetRequiredService<IConfiguration>();
        configuration[key] = value;
        configuration.Reload();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Upstream.Stop();
        Upstream.Dispose();
    }
}

/// <summary>Keeps every log event, formatted and with its structured values, for privacy assertions.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, EventId EventId, string Text)> _events = new();

    public IReadOnlyList<(string Category, EventId EventId, string Text)> Events => [.. _events];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _events);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, EventId, string)> events) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : string.Empty;
            events.Enqueue((category, eventId, $"{formatter(state, exception)} | {values} | {exception}"));
        }
    }
}
