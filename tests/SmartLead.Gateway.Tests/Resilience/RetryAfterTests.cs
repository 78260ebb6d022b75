using System.Globalization;
using System.Net;
using SmartLead.Gateway.Resilience;

namespace SmartLead.Gateway.Tests.Resilience;

public sealed class RetryAfterTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void From_DeltaSeconds_ReturnsThatWait()
    {
        using var response = Response(HttpStatusCode.TooManyRequests, ("Retry-After", "17"));

        Assert.Equal(TimeSpan.FromSeconds(17), RetryAfter.From(response, Now));
    }

    [Fact]
    public void From_HttpDate_ReturnsTimeUntilThatDate()
    {
        using var response = Response(HttpStatusCode.ServiceUnavailable, ("Retry-After", Now.AddSeconds(42).ToString("R", CultureInfo.InvariantCulture)));

        Assert.Equal(TimeSpan.FromSeconds(42), RetryAfter.From(response, Now));
    }

    [Fact]
    public void From_HttpDateInThePast_ReturnsZero()
    {
        using var response = Response(HttpStatusCode.TooManyRequests, ("Retry-After", Now.AddMinutes(-5).ToString("R", CultureInfo.InvariantCulture)));

        Assert.Equal(TimeSpan.Zero, RetryAfter.From(response, Now));
    }

    [Fact]
    public void From_429WithoutRetryAfter_UsesRateLimitResetUnixSeconds()
    {
        using var response = Response(HttpStatusCode.TooManyRequests, ("X-RateLimit-Reset", Now.AddSeconds(25).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));

        Assert.Equal(TimeSpan.FromSeconds(25), RetryAfter.From(response, Now));
    }

    [Fact]
    public void From_429WithSmallRateLimitReset_TreatsItAsSeconds()
    {
        using var response = Response(HttpStatusCode.TooManyRequests, ("X-RateLimit-Reset", "12"));

        Assert.Equal(TimeSpan.FromSeconds(12), RetryAfter.From(response, Now));
    }

    [Fact]
    public void From_RetryAfterAndRateLimitReset_RetryAfterWins()
    {
        using var response = Response(
            HttpStatusCode.TooManyRequests,
            ("Retry-After", "3"),
            ("X-RateLimit-Reset", Now.AddSeconds(50).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));

        Assert.Equal(TimeSpan.FromSeconds(3), RetryAfter.From(response, Now));
    }

    [Fact]
    public void From_503WithRateLimitResetOnly_ReturnsNull()
    {
        using var response = Response(HttpStatusCode.ServiceUnavailable, ("X-RateLimit-Reset", Now.AddSeconds(50).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));

        Assert.Null(RetryAfter.From(response, Now));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    public void From_UnparsableRetryAfter_ReturnsNull(string value)
    {
        using var response = Response(HttpStatusCode.ServiceUnavailable, ("Retry-After", value));

        Assert.Null(RetryAfter.From(response, Now));
    }

    [Fact]
    public void From_NoHeaders_ReturnsNull()
    {
        using var response = Response(HttpStatusCode.TooManyRequests);

        Assert.Null(RetryAfter.From(response, Now));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1000, 1)]
    [InlineData(1001, 2)]
    public void ToHeaderSeconds_RoundsUpAndNeverSaysZero(int milliseconds, long expected) =>
        Assert.Equal(expected, RetryAfter.ToHeaderSeconds(TimeSpan.FromMilliseconds(milliseconds)));

    private static HttpResponseMessage Response(HttpStatusCode status, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status);
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }
}
