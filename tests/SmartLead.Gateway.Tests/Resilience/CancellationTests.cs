using System.Diagnostics;
using SmartLead.Gateway.Tests.Infrastructure;
using WireMock.Server;
using static SmartLead.Gateway.Tests.Infrastructure.WireMockExtensions;

namespace SmartLead.Gateway.Tests.Resilience;

/// <summary>A client that disconnects stops its pending delays and attempts.</summary>
public sealed class CancellationTests : IDisposable
{
    private const string Campaigns = "/api/v1/campaigns/";
    private readonly WireMockServer _upstream = Upstream.StartWireMock();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task Get_ClientDisconnectsDuringRetryDelay_StopsWithoutAnotherAttempt()
    {
        using var host = new ResilienceTestHost();
        _upstream.GivenSequence("GET", Campaigns, Status(503).WithHeader("Retry-After", "30"), Status(200));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, Url(Campaigns));
        using var disconnect = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();

        var send = host.CreateInvoker().SendAsync(request, disconnect.Token);
        await _upstream.WaitForRequestsAsync(1);
        await disconnect.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        await Task.Delay(100);
        Assert.Equal(1, _upstream.RequestCount());
        Assert.Equal(1, log.Attempts);
    }

    [Fact]
    public async Task Get_ClientDisconnectsDuringAttempt_StopsWithoutRetrying()
    {
        using var host = new ResilienceTestHost();
        await using var upstream = await ScriptedUpstream.StartAsync((_, context) => ScriptedUpstream.HangAsync(context));
        var (request, log) = ResilienceTestHost.Request(HttpMethod.Get, upstream.Url + Campaigns);
        using var disconnect = new CancellationTokenSource();

        var sending = host.CreateInvoker().SendAsync(request, disconnect.Token);
        await upstream.WaitForRequestsAsync(1);
        await disconnect.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, upstream.RequestCount);
        Assert.Equal(1, log.Attempts);
        Assert.Empty(log.RetryReasons);
    }

    private string Url(string path) => _upstream.Urls[0] + path + "?api_key=test-key";
}
