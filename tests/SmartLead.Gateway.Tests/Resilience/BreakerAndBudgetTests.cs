using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Tests.Budget;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Resilience;

/// <summary>
/// The breaker and the real budget together in the production chain, on fake time, against a scripted loopback
/// SmartLead: only SmartLead's answers count for the breaker; a refusal or a client that gave up counts for nothing.
/// </summary>
public sealed class BreakerAndBudgetTests
{
    private const string Campaigns = "/api/v1/campaigns/";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static Dictionary<string, string?> Settings(int maxRetries = 0) => new()
    {
        ["Retry:MaxRetries"] = maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["CircuitBreaker:Enabled"] = "true",
        ["CircuitBreaker:MinimumThroughput"] = "2",
        ["CircuitBreaker:FailureRatio"] = "0.5",
        ["CircuitBreaker:SamplingDuration"] = "00:00:30",
        ["CircuitBreaker:BreakDuration"] = "00:00:30",
        ["SmartLead:Timeout"] = "00:10:00",

        // One permit every ten seconds, no waiting room: a second attempt within the ten seconds is refused.
        ["RateLimit:Enabled"] = "true",
        ["RateLimit:TokenLimit"] = "1",
        ["RateLimit:TokensPerPeriod"] = "1",
        ["RateLimit:ReplenishmentPeriod"] = "00:00:10",
        ["RateLimit:QueueLimit"] = "0",
        ["RateLimit:Windows:0:PermitLimit"] = "1000000",
        ["RateLimit:Windows:0:Window"] = "00:00:01",
    };

    [Fact]
    public async Task ClosedCircuit_BudgetRefusals_DoNotDiluteTheFailureRatio()
    {
        using var host = new ResilienceTestHost(Settings(), _time);
        await using var upstream = await ScriptedUpstream.StartAsync((_, context) => Answer(context, 503));
        var invoker = host.CreateInvoker();

        await SendAsync(invoker, upstream);
        for (var i = 0; i < 5; i++)
        {
            var refused = await Assert.ThrowsAsync<GatewayRejectedException>(() => SendAsync(invoker, upstream));
            Assert.Equal(GatewayError.RateLimitExceeded, refused.Code);
        }

        _time.Advance(TimeSpan.FromSeconds(10));
        await SendAsync(invoker, upstream);

        // Two failures of two SmartLead answers: open. Counted as successes, the five refusals would have kept it shut.
        Assert.Equal(CircuitState.Open, host.Pipeline.CircuitState);
        Assert.Equal(2, upstream.RequestCount);
    }

    [Fact]
    public async Task HalfOpenProbe_RefusedByTheBudget_DoesNotCloseTheCircuit()
    {
        using var host = new ResilienceTestHost(Settings(), _time);
        await using var upstream = await ScriptedUpstream.StartAsync((n, context) => Answer(context, n <= 2 ? 503 : 200));
        var invoker = host.CreateInvoker();
        await SendAsync(invoker, upstream);
        _time.Advance(TimeSpan.FromSeconds(10));
        await SendAsync(invoker, upstream);
        Assert.Equal(CircuitState.Open, host.Pipeline.CircuitState);

        // The break is over, but another caller has just taken the budget's one permit: the probe is refused.
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(host.Services.GetRequiredService<UpstreamBudget>().Take());
        var refused = await Assert.ThrowsAsync<GatewayRejectedException>(() => SendAsync(invoker, upstream));

        Assert.Equal(GatewayError.RateLimitExceeded, refused.Code);
        Assert.Equal(2, upstream.RequestCount);
        Assert.Equal(CircuitState.Open, host.Pipeline.CircuitState);

        // The next probe that reaches SmartLead decides.
        _time.Advance(TimeSpan.FromSeconds(30));
        using var answer = await SendAsync(invoker, upstream);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(CircuitState.Closed, host.Pipeline.CircuitState);
    }

    [Fact]
    public async Task HalfOpenProbe_ClientGivesUp_DoesNotCloseTheCircuit()
    {
        var settings = Settings();
        settings["RateLimit:Enabled"] = "false";
        using var host = new ResilienceTestHost(settings, _time);
        await using var upstream = await ScriptedUpstream.StartAsync(async (n, context) =>
        {
            if (n == 3)
            {
                await ScriptedUpstream.HangAsync(context);
                return;
            }

            await Answer(context, n <= 2 ? 503 : 200);
        });
        var invoker = host.CreateInvoker();
        await SendAsync(invoker, upstream);
        await SendAsync(invoker, upstream);
        _time.Advance(TimeSpan.FromSeconds(30));

        using var giveUp = new CancellationTokenSource();
        var probe = SendAsync(invoker, upstream, giveUp.Token);
        await upstream.WaitForRequestsAsync(3);
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => probe);
        Assert.Equal(CircuitState.Open, host.Pipeline.CircuitState);
    }

    [Fact]
    public async Task RetryRefusedByTheBudget_ReturnsSmartLeadsLastAnswer()
    {
        using var host = new ResilienceTestHost(Settings(maxRetries: 2), _time);
        await using var upstream = await ScriptedUpstream.StartAsync(async (_, context) =>
        {
            context.Response.StatusCode = 503;
            context.Response.Headers["X-Upstream"] = "smartlead";
            await context.Response.WriteAsync("{\"error\":\"down for maintenance\"}");
        });
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, upstream.Url + Campaigns);

        using var response = await _time.DriveAsync(host.CreateInvoker().SendAsync(request, CancellationToken.None));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("smartlead", Assert.Single(response.Headers.GetValues("X-Upstream")));
        Assert.Equal("{\"error\":\"down for maintenance\"}", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, upstream.RequestCount);
        Assert.Equal(1, log.Attempts);
    }

    [Fact]
    public async Task FirstAttemptRefusedByTheBudget_IsTheGateways429()
    {
        using var host = new ResilienceTestHost(Settings(maxRetries: 2), _time);
        await using var upstream = await ScriptedUpstream.StartAsync((_, context) => Answer(context, 200));
        var invoker = host.CreateInvoker();
        (await SendAsync(invoker, upstream)).Dispose();

        var refused = await Assert.ThrowsAsync<GatewayRejectedException>(() => SendAsync(invoker, upstream));

        Assert.Equal(StatusCodes.Status429TooManyRequests, refused.StatusCode);
        Assert.Equal(GatewayError.RateLimitExceeded, refused.Code);
        Assert.NotNull(refused.RetryAfter);
        Assert.Equal(1, upstream.RequestCount);
    }

    private static Task Answer(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpMessageInvoker invoker, ScriptedUpstream upstream, CancellationToken cancellationToken = default) =>
        invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, upstream.Url + Campaigns), cancellationToken);
}
