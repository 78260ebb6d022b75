using System.Globalization;
using System.Net;

namespace SmartLead.Gateway.Resilience;

/// <summary>How long SmartLead asked the gateway to wait before trying again.</summary>
internal static class RetryAfter
{
    // X-RateLimit-Reset is documented as a Unix timestamp, but rate limiters commonly send seconds-until-reset in the
    // same header; no real reset time lies before 2001, so a smaller number can only be a delta.
    private const long SmallestUnixTimestamp = 1_000_000_000;

    // Beyond this no reset time is believable (year 3000): ignored rather than overflowing a DateTimeOffset.
    private const double LargestUnixTimestamp = 32_503_680_000;

    /// <summary>
    /// The wait asked by <c>Retry-After</c> (delta-seconds or HTTP-date) or, on a 429 without it,
    /// <c>X-RateLimit-Reset</c>; null when the response asks nothing. Dates in the past give zero.
    /// </summary>
    public static TimeSpan? From(HttpResponseMessage response, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(response);
        return Header(response, now)
            ?? (response.StatusCode == HttpStatusCode.TooManyRequests ? RateLimitReset(response, now) : null);
    }

    /// <summary><c>Retry-After</c> alone: delta-seconds or an HTTP-date, measured from <paramref name="now"/>.</summary>
    public static TimeSpan? Header(HttpResponseMessage response, DateTimeOffset now) =>
        response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => NotNegative(delta),
            { Date: { } date } => NotNegative(date - now),
            _ => null,
        };

    /// <summary>
    /// How long until <c>X-RateLimit-Reset</c>, measured from <paramref name="now"/>. Read as Unix seconds (fractions
    /// allowed), as epoch milliseconds when the number is that large, and as seconds-from-now when it is too small to
    /// be a date; null when absent or unbelievable. The retry and the budget both read it here, so they agree.
    /// </summary>
    public static TimeSpan? RateLimitReset(HttpResponseMessage response, DateTimeOffset now)
    {
        if (!response.Headers.TryGetValues("X-RateLimit-Reset", out var values)
            || !double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || value < 0 || double.IsNaN(value) || double.IsInfinity(value))
        {
            return null;
        }

        if (value < SmallestUnixTimestamp)
        {
            return TimeSpan.FromSeconds(value);
        }

        if (value >= SmallestUnixTimestamp * 1000.0)
        {
            value /= 1000;
        }

        return value > LargestUnixTimestamp
            ? null
            : NotNegative(DateTimeOffset.FromUnixTimeMilliseconds((long)(value * 1000)) - now);
    }

    /// <summary>
    /// Whole seconds, rounded up, as <c>Retry-After</c> carries them; never 0, since a client told "0" comes straight
    /// back. Every Retry-After the gateway writes goes through here.
    /// </summary>
    public static long ToHeaderSeconds(TimeSpan wait) => Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));

    private static TimeSpan NotNegative(TimeSpan value) => value < TimeSpan.Zero ? TimeSpan.Zero : value;
}
