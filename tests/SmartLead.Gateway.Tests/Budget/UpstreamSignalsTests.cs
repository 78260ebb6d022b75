using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SmartLead.Gateway.Budget;

namespace SmartLead.Gateway.Tests.Budget;

public sealed class UpstreamSignalsTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ReadPause_429WithRetryAfterSeconds_PausesThatLong()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(30));

        var pause = await UpstreamSignals.ReadPauseAsync(response, Now, default);

        Assert.Equal(TimeSpan.FromSeconds(30), pause?.Delay);
    }

    [Fact]
    public async Task ReadPause_429WithRetryAfterDate_PausesUntilThenOnTheServersClock()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.Date = Now.AddMinutes(-5);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(Now.AddMinutes(-5).AddSeconds(12));

        var pause = await UpstreamSignals.ReadPauseAsync(response, Now, default);

        Assert.Equal(TimeSpan.FromSeconds(12), pause?.Delay);
    }

    [Fact]
    public async Task ReadPause_429WithRetryAfterInBody_PausesThatLongAndKeepsTheBody()
    {
        const string body = """{"error": {"code": "RATE_LIMIT_EXCEEDED", "message": "Too many requests.", "retry_after": 7}}""";
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };

        var pause = await UpstreamSignals.ReadPauseAsync(response, Now, default);

        Assert.Equal(TimeSpan.FromSeconds(7), pause?.Delay);
        Assert.Equal(body, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ReadPause_429WithResetOnly_PausesUntilReset()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.Add(UpstreamSignals.ResetHeader, Now.AddSeconds(20).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));

        var pause = await UpstreamSignals.ReadPauseAsync(response, Now, default);

        Assert.Equal(TimeSpan.FromSeconds(20), pause?.Delay);
    }

    [Fact]
    public async Task ReadPause_429WithoutAnyTime_PausesBriefly()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);

        var pause = await UpstreamSignals.ReadPauseAsync(response, Now, default);

        Assert.Equal(UpstreamSignals.UnnamedPause, pause?.Delay);
    }

    [Fact]
    public async Task ReadPause_SuccessWithRemainingZero_PausesUntilResetMeasuredAgainstDate()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        var serverNow = Now.AddHours(1); // the server's clock is an hour ahead of ours
        response.Headers.Date = serverNow;
        response.Headers.Add(UpstreamSignals.RemainingHeader, "0");
        response.Headers.Add(UpstreamSignals.ResetHeader, serverNow.AddSeconds(42).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));

        var pause = await UpstreamSignals.ReadPauseAsync(response, Now, default);

        Assert.Equal(TimeSpan.FromSeconds(42), pause?.Delay);
    }

    [Fact]
    public async Task ReadPause_ResetInEpochMilliseconds_IsReadAsSeconds()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.Add(UpstreamSignals.RemainingHeader, "0");
        response.Headers.Add(UpstreamSignals.ResetHeader, Now.AddSeconds(7).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));

        var pause = await UpstreamSignals.ReadPauseAsync(response, Now, default);

        Assert.Equal(TimeSpan.FromSeconds(7), pause?.Delay);
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("99999999999999999999999")]
    public async Task ReadPause_AbsurdReset_IsIgnoredNotThrown(string reset)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.Add(UpstreamSignals.RemainingHeader, "0");
        response.Headers.Add(UpstreamSignals.ResetHeader, reset);

        var pause = await UpstreamSignals.ReadPauseAsync(response, Now, default);

        Assert.Null(pause);
    }

    [Fact]
    public async Task ReadPause_SuccessWithRemainingLeft_DoesNotPause()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.Add(UpstreamSignals.RemainingHeader, "3");
        response.Headers.Add(UpstreamSignals.ResetHeader, Now.AddSeconds(42).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Null(await UpstreamSignals.ReadPauseAsync(response, Now, default));
    }
}
