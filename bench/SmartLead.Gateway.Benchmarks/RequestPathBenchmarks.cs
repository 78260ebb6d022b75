using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SmartLead.Gateway.Benchmarks;

/// <summary>
/// One GET through the whole gateway, its real Program with every feature on as <c>bench/load/run.sh</c> runs it
/// (budget with limits far above the load, retries, breaker, key scrubbing, the request log written as compact JSON
/// lines), hosted in memory and forwarding over loopback sockets to a trivial Kestrel upstream. What it measures is
/// the allocated bytes per request (BenchmarkDotNet counts every thread's: the log's writer, the sockets and the
/// upstream's too); the mean is the whole round trip on one core.
/// In process: the gateway's log lines go to stdout, where an out-of-process run would mix them with its results.
/// <c>dotnet run -c Release --project bench/SmartLead.Gateway.Benchmarks -- --filter '*RequestPath*' &gt; bench.log</c>;
/// the table lands in <c>BenchmarkDotNet.Artifacts/results</c>.
/// </summary>
/// <remarks>Public and unsealed: BenchmarkDotNet derives from it.</remarks>
[MemoryDiagnoser]
[InProcess]
public class RequestPathBenchmarks
{
    private static readonly byte[] Answer = """[{"id":1001,"name":"Load test campaign","status":"ACTIVE"}]"""u8.ToArray();
    private static readonly Uri Target = new("/api/v1/campaigns?client_id=7", UriKind.Relative);

    private WebApplication _upstream = null!;
    private GatewayHost _gateway = null!;
    private HttpClient _client = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _upstream = builder.Build();
        _upstream.MapGet("/api/v1/campaigns", static (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.Body.WriteAsync(Answer).AsTask();
        });
        await _upstream.StartAsync();
        var upstreamUrl = _upstream.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        // The settings files copied beside this program, as beside the published gateway (the factory would look for
        // the project's folder from the working directory).
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_SMARTLEAD_GATEWAY", AppContext.BaseDirectory);
        _gateway = new GatewayHost(upstreamUrl);
        _client = _gateway.CreateClient();
        for (var i = 0; i < 200; i++)
        {
            await GetThroughGateway();
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Benchmark]
    public async Task GetThroughGateway()
    {
        using var response = await _client.GetAsync(Target);
        await response.Content.CopyToAsync(Stream.Null);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"The gateway answered {(int)response.StatusCode}.");
        }
    }

    /// <summary>The gateway as bench/load/run.sh starts it, in memory.</summary>
    private sealed class GatewayHost(string upstreamUrl) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["SmartLead:BaseUrl"] = upstreamUrl,
                ["SmartLead:ApiKey"] = "load-test-key-0123456789",
                ["RateLimit:Enabled"] = "true",
                ["RateLimit:Plan"] = "Custom",
                ["RateLimit:TokenLimit"] = "1000000",
                ["RateLimit:TokensPerPeriod"] = "1000000",
                ["RateLimit:Windows:0:PermitLimit"] = "1000000",
                ["RateLimit:Windows:0:Window"] = "00:00:01",
            }));
        }
    }
}
