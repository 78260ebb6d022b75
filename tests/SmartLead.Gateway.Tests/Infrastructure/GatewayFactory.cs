using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace SmartLead.Gateway.Tests.Infrastructure;

/// <summary>
/// The whole gateway (its real Program) hosted in memory, forwarding to a real loopback upstream. Settings are
/// overridden in memory; every log event at every level is captured.
/// </summary>
internal sealed class GatewayFactory : WebApplicationFactory<Program>
{
    public const string TestKey = "sl-test-key-7f3a9c2e41";

    private readonly Dictionary<string, string?> _settings;
    private readonly string _environment;

    public GatewayFactory(string upstreamUrl, IDictionary<string, string?>? settings = null, string environment = "Testing")
    {
        _environment = environment;
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["SmartLead:BaseUrl"] = upstreamUrl,
            ["SmartLead:ApiKey"] = TestKey,
            ["SmartLead:Timeout"] = "00:00:05",
            // Every event, whatever its source, reaches the capture sink: the leak tests depend on it.
            ["Serilog:MinimumLevel:Default"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Yarp"] = "Verbose",
            ["Serilog:MinimumLevel:Override:System.Net.Http"] = "Verbose",
            ["RateLimit:Enabled"] = "false",
            ["CircuitBreaker:Enabled"] = "false",
            ["Retry:MaxRetries"] = "0",
        };
        if (settings is not null)
        {
            foreach (var (key, value) in settings)
            {
                _settings[key] = value;
            }
        }
    }

    public CapturingSink Logs { get; } = new();

    /// <summary>Serves the gateway from real Kestrel on 127.0.0.1 (for raw-socket clients); returns its address.</summary>
    public Uri StartOnLoopback()
    {
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        StartServer();
        return new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(_settings));
        builder.ConfigureTestServices(services => services.AddSingleton<ILogEventSink>(Logs));
    }
}
