using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Resilience;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.Server;
using Yarp.ReverseProxy.Forwarder;
using static SmartLead.Gateway.Tests.Infrastructure.WireMockExtensions;

namespace SmartLead.Gateway.Tests.Resilience;

/// <summary>
/// The handlers under YARP's real forwarder (real Kestrel in front, WireMock behind): proves YARP's single-use
/// request content is replayed once buffered, and shows which exception YARP reports for each gateway failure.
/// </summary>
public sealed class ForwarderChainTests : IAsyncLifetime
{
    private const string Import = "/api/v1/campaigns/42/leads";
    private readonly WireMockServer _upstream = Upstream.StartWireMock();
    private WebApplication? _proxy;
    private HttpClient? _client;

    private HttpClient Client => _client!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        _upstream.Dispose();
    }

    [Fact]
    public async Task Yarp_ChunkedImport_IsReplayedIntactOnEveryAttempt()
    {
        await StartProxyAsync();
        _upstream.GivenSequence("POST", Import, Status(503), Status(500), Status(201).WithBody("{\"ok\":true}"));
        var bytes = System.Text.Encoding.UTF8.GetBytes("{\"lead_list\":[{\"email\":\"d@example.com\",\"first_name\":\"Dee\"}]}");

        using var response = await Client.PostAsync(Import, new SingleUseContent(bytes));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("{\"ok\":true}", await response.Content.ReadAsStringAsync());
        var received = _upstream.LogEntries.Select(e => e.RequestMessage!.BodyAsBytes).ToList();
        Assert.Equal(3, received.Count);
        Assert.All(received, body => Assert.Equal(bytes, body));
    }

    [Fact]
    public async Task Yarp_ChunkedBodyOverLimit_ReportsGatewayRejected413()
    {
        await StartProxyAsync(new() { ["Retry:MaxBufferedBodyBytes"] = "64" });
        _upstream.GivenSequence("POST", Import, Status(200));

        using var response = await Client.PostAsync(Import, new SingleUseContent(new byte[65]));

        Assert.Equal(nameof(GatewayRejectedException), ExceptionName(response));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, _upstream.RequestCount());
    }

    [Fact]
    public async Task Yarp_DeclaredLengthOverLimit_ReportsGatewayRejected413WithoutReading()
    {
        await StartProxyAsync(new() { ["Retry:MaxBufferedBodyBytes"] = "64" });
        _upstream.GivenSequence("POST", Import, Status(200));

        using var response = await Client.PostAsync(Import, new ByteArrayContent(new byte[65]));

        Assert.Equal(nameof(GatewayRejectedException), ExceptionName(response));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, _upstream.RequestCount());
    }

    [Fact]
    public async Task Yarp_AttemptsTimedOut_ReportsTimeoutException()
    {
        // Real time, but nothing to race: the upstream never answers, so every attempt runs into its one second.
        await using var hanging = await ScriptedUpstream.StartAsync((_, context) => ScriptedUpstream.HangAsync(context));
        await StartProxyAsync(new() { ["Retry:MaxRetries"] = "1", ["SmartLead:Timeout"] = "00:00:01" }, hanging.Url);

        using var response = await Client.GetAsync("/api/v1/campaigns/");

        Assert.Equal(nameof(TimeoutException), ExceptionName(response));
        Assert.Equal(nameof(ForwarderError.Request), Assert.Single(response.Headers.GetValues("X-Forwarder-Error")));
        Assert.Equal(2, hanging.RequestCount);
    }

    [Fact]
    public async Task Yarp_OpenCircuit_ReportsGatewayRejected503()
    {
        await StartProxyAsync(new()
        {
            ["Retry:MaxRetries"] = "0",
            ["CircuitBreaker:Enabled"] = "true",
            ["CircuitBreaker:MinimumThroughput"] = "2",
        });
        _upstream.GivenSequence("GET", "/api/v1/campaigns/", Status(503));
        (await Client.GetAsync("/api/v1/campaigns/")).Dispose();
        (await Client.GetAsync("/api/v1/campaigns/")).Dispose();

        using var response = await Client.GetAsync("/api/v1/campaigns/");

        Assert.Equal(nameof(GatewayRejectedException), ExceptionName(response));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(2, _upstream.RequestCount());
    }

    private static string? ExceptionName(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Forwarder-Exception", out var values) ? values.Single() : null;

    private async Task StartProxyAsync(Dictionary<string, string?>? settings = null, string? upstreamUrl = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Retry:BaseDelay"] = "00:00:00.005",
            ["Retry:MaxDelay"] = "00:00:00.020",
            ["CircuitBreaker:Enabled"] = "false",
            ["RateLimit:Enabled"] = "false",
            ["SmartLead:ApiKey"] = "test-key",
        });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.Services.AddHttpForwarder();
        builder.Services.AddGatewayCredentials();
        builder.Services.AddGatewayResilience();
        builder.Services.AddUpstreamBudget();
        _proxy = builder.Build();

        var invoker = new HttpMessageInvoker(UpstreamChain.Create(
            _proxy.Services, new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false }));
        var destination = upstreamUrl ?? _upstream.Urls[0];

        // A stand-in for the core's forwarder-error mapper: reports what YARP saw, and the status a rejection names.
        _proxy.Map("/{**path}", async (HttpContext context, IHttpForwarder forwarder) =>
        {
            var error = await forwarder.SendAsync(context, destination, invoker, ForwarderRequestConfig.Empty, HttpTransformer.Default);
            if (error != ForwarderError.None && !context.Response.HasStarted)
            {
                var exception = context.GetForwarderErrorFeature()?.Exception;
                context.Response.Headers["X-Forwarder-Error"] = error.ToString();
                context.Response.Headers["X-Forwarder-Exception"] = exception?.GetType().Name;
                if (exception is GatewayRejectedException rejected)
                {
                    context.Response.StatusCode = rejected.StatusCode;
                }
            }
        });
        await _proxy.StartAsync();
        var address = _proxy.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(address) };
    }
}
