using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Logging;
using SmartLead.Gateway.Resilience;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Tests.Resilience;

/// <summary>
/// The resilience and budget services as the gateway registers them (the budget off unless a test turns it on), over
/// in-memory configuration, with short real-time delays unless a test overrides them; hands out the production chain
/// ending in a real <see cref="SocketsHttpHandler"/>.
/// </summary>
internal sealed class ResilienceTestHost : IDisposable
{
    private static readonly Dictionary<string, string?> Defaults = new()
    {
        ["Retry:BaseDelay"] = "00:00:00.005",
        ["Retry:MaxDelay"] = "00:00:00.020",
        ["CircuitBreaker:Enabled"] = "false",
        ["SmartLead:Timeout"] = "00:00:10",
        ["RateLimit:Enabled"] = "false",
        ["SmartLead:ApiKey"] = "test-key",
    };

    private readonly ServiceProvider _services;
    private readonly List<IDisposable> _owned = [];

    public ResilienceTestHost(IDictionary<string, string?>? settings = null, TimeProvider? timeProvider = null)
    {
        var merged = new Dictionary<string, string?>(Defaults);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        Configuration = new ConfigurationBuilder().AddInMemoryCollection(merged).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(Configuration);
        services.AddLogging();
        if (timeProvider is not null)
        {
            services.AddSingleton(timeProvider);
        }

        // Jitter pinned to the middle so delays are exactly the backoff.
        services.AddSingleton(sp => new UpstreamResiliencePipeline(
            sp.GetRequiredService<LiveOptions<RetryOptions>>(),
            sp.GetRequiredService<LiveOptions<CircuitBreakerOptions>>(),
            sp.GetRequiredService<LiveOptions<SmartLeadOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<GatewayMetrics>(),
            sp.GetRequiredService<ILogger<UpstreamResiliencePipeline>>(),
            () => 0.5));
        services.AddGatewayCredentials();
        services.AddGatewayResilience();
        services.AddUpstreamBudget();
        _services = services.BuildServiceProvider();
        Time = _services.GetRequiredService<TimeProvider>();
    }

    public IConfigurationRoot Configuration { get; }

    public TimeProvider Time { get; }

    public IServiceProvider Services => _services;

    public UpstreamResiliencePipeline Pipeline => _services.GetRequiredService<UpstreamResiliencePipeline>();

    /// <summary>Every attempt's time (from the host's clock), recorded just above the sockets.</summary>
    public List<DateTimeOffset> AttemptTimes { get; } = [];

    /// <summary>The production chain (<see cref="UpstreamChain"/>) over a recorder above real sockets.</summary>
    public HttpMessageInvoker CreateInvoker()
    {
        var recorder = new AttemptRecorder(Time, AttemptTimes) { InnerHandler = new SocketsHttpHandler { UseProxy = false } };
        var invoker = new HttpMessageInvoker(UpstreamChain.Create(_services, recorder));
        _owned.Add(invoker);
        return invoker;
    }

    /// <summary>Applies new values as a hot reload of the configuration files would.</summary>
    public void Reload(IDictionary<string, string?> values)
    {
        foreach (var (key, value) in values)
        {
            Configuration[key] = value;
        }

        Configuration.Reload();
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _services.Dispose();
    }

    public static (HttpRequestMessage Request, RequestLogFeature Log) Request(HttpMethod method, string url, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        var log = new RequestLogFeature("test");
        var features = new Microsoft.AspNetCore.Http.Features.FeatureCollection();
        features.Set(log);
        SmartLead.Gateway.Forwarding.ForwardedFeatures.Attach(request, features);
        return (request, log);
    }

    private sealed class AttemptRecorder(TimeProvider time, List<DateTimeOffset> times) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (times)
            {
                times.Add(time.GetUtcNow());
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>
/// Request content that, like YARP's <c>StreamCopyHttpContent</c>, streams once and has no length (so it goes
/// chunked): a second read fails the test instead of sending an empty body.
/// </summary>
internal sealed class SingleUseContent(byte[] bytes) : HttpContent
{
    private int _reads;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        if (Interlocked.Increment(ref _reads) > 1)
        {
            throw new InvalidOperationException("The request body was read twice.");
        }

        // Several writes, as a client's chunked upload arrives.
        for (var offset = 0; offset < bytes.Length; offset += 7)
        {
            await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(7, bytes.Length - offset)));
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
