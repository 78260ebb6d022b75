using System.Globalization;
using System.Net;

namespace SmartLead.Gateway.Resilience;

/// <summary>How long SmartLead asked the gateway to wait before trying again.</summary>
internal static class RetryAfter
{
    // X-RateLimit-Reset is documented as a Unix timestamp, but rate limiters commonly send seconds-until-reset in the
    // same header; no real reset time lies before 2001, so a smaller number can only be a delta.
    private const long SmallestUnixTimestamp = 1_000_000_000;

    /// <summary>
    /// The wait asked by <c>Retry-After</c> (delta-seconds or HTTP-date) or, on a 429 without it,
    /// <c>X-RateLimit-Reset</c> (Unix seconds); null when the response asks nothing. Dates in the past give zero.
    /// </summary>
    public static TimeSpan? From(HttpResponseMessage response, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is { } delta)
            {
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            }

            if (retryAfter.Date is { } date)
            {
                return NotNegative(date - now);
            }
        }

        if (response.StatusCode == HttpStatusCode.TooManyRequests
            && response.Headers.TryGetValues("X-RateLimit-Reset", out var values)
            && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var reset))
        {
            return reset < SmallestUnixTimestamp
                ? TimeSpan.FromSeconds(reset)
                : NotNegative(DateTimeOffset.FromUnixTimeSeconds(Math.Min(reset, DateTimeOffset.MaxValue.ToUnixTimeSeconds())) - now);
        }

        return null;
    }

    /// <summary>Whole seconds, rounded up, as <c>Retry-After</c> carries them.</summary>
    public static long ToHeaderSeconds(TimeSpan wait) => (long)Math.Ceiling(Math.Max(0, wait.TotalSeconds));

    private static TimeSpan NotNegative(TimeSpan value) => value < TimeSpan.Zero ? TimeSpan.Zero : value;
}
