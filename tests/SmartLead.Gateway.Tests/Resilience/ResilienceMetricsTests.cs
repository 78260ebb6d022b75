using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SmartLead.Gateway.Telemetry;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Resilience;

/// <summary>What the chain records per attempt and per retry, through the gateway's one meter.</summary>
public sealed class ResilienceMetricsTests
{
    [Fact]
    public async Task Get_503ThenTimeoutThen200_RecordsEachAttemptAndEachRetry()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var host = new ResilienceTestHost(new Dictionary<string, string?> { ["SmartLead:Timeout"] = "00:01:00" }, time);
        using var metrics = new MetricsCapture(host.Services.GetRequiredService<GatewayMetrics>().Meter);
        await using var upstream = await ScriptedUpstream.StartAsync((n, context) =>
        {
            switch (n)
            {
                case 1:
                    context.Response.StatusCode = 503;
                    return Task.CompletedTask;
                case 2:
                    return ScriptedUpstream.HangAsync(context);
                default:
                    return context.Response.WriteAsync("[]");
            }
        });

        var sending = host.CreateInvoker().SendAsync(new HttpRequestMessage(HttpMethod.Get, upstream.Url + "/api/v1/campaigns/"), CancellationToken.None);
        for (var i = 0; i < 4000 && !sending.IsCompleted; i++)
        {
            // Backoffs and the second attempt's minute pass in fake time; the answers arrive in real time.
            time.Advance(upstream.RequestCount == 2 ? TimeSpan.FromSeconds(10) : TimeSpan.FromMilliseconds(50));
            await Task.Delay(5);
        }

        using var response = await sending.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["status=503", "status=timeout", "status=200"], metrics.Of("smartlead_gateway.upstream.attempts"));
        Assert.Equal(["reason=503", "reason=timeout"], metrics.Of("smartlead_gateway.retries"));
    }
}
