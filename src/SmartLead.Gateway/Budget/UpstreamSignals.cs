using System.Globalization;
using System.Net;
using System.Text.Json;

namespace SmartLead.Gateway.Budget;

/// <summary>
/// Reads from a SmartLead answer how long the whole key must rest: a 429's <c>Retry-After</c>, its body's
/// <c>retry_after</c> or <c>X-RateLimit-Reset</c>; or any answer's <c>X-RateLimit-Remaining: 0</c> with
/// <c>X-RateLimit-Reset</c>.
/// </summary>
internal static class UpstreamSignals
{
    internal const string RemainingHeader = "X-RateLimit-Remaining";
    internal const string ResetHeader = "X-RateLimit-Reset";

    /// <summary>A 429 that names no time still means the key is over; a short pause beats hammering it.</summary>
    internal static readonly TimeSpan UnnamedPause = TimeSpan.FromSeconds(1);

    /// <summary>Bodies larger than this are not read for <c>retry_after</c>: a 429 body is a few hundred bytes.</summary>
    private const long MaxBodyToRead = 64 * 1024;

    private static readonly TimeSpan ClockSkewTolerance = TimeSpan.FromSeconds(2);

    public static ValueTask<UpstreamPause?> ReadPauseAsync(
        HttpResponseMessage response, DateTimeOffset utcNow, CancellationToken cancellationToken) =>
        // Nearly every answer is neither a 429 nor carries a reset: nothing to parse (not even the Date), nothing to await.
        response.StatusCode != HttpStatusCode.TooManyRequests && !response.Headers.NonValidated.Contains(ResetHeader)
            ? ValueTask.FromResult<UpstreamPause?>(null)
            : ReadSignalledPauseAsync(response, utcNow, cancellationToken);

    private static async ValueTask<UpstreamPause?> ReadSignalledPauseAsync(
        HttpResponseMessage response, DateTimeOffset utcNow, CancellationToken cancellationToken)
    {
        // Reset times are on SmartLead's clock. Its Date header has whole-second precision, so it is used only when
        // the clocks clearly disagree; otherwise our own, finer clock wastes less of the budget waiting.
        var serverNow = response.Headers.Date is { } date && (date - utcNow).Duration() > ClockSkewTolerance ? date : utcNow;
        var reset = Resilience.RetryAfter.RateLimitReset(response, serverNow);

        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            var retryAfter = Resilience.RetryAfter.Header(response, serverNow);
            if (retryAfter is not null || reset is not null)
            {
                var delay = Max(retryAfter, reset)!.Value;
                return new UpstreamPause(delay, retryAfter is not null ? "429 Retry-After" : "429 X-RateLimit-Reset");
            }

            var fromBody = await ReadBodyRetryAfterAsync(response, cancellationToken);
            return fromBody is not null
                ? new UpstreamPause(fromBody.Value, "429 retry_after")
                : new UpstreamPause(UnnamedPause, "429 without a retry time");
        }

        if (reset is not null
            && response.Headers.TryGetValues(RemainingHeader, out var remaining)
            && long.TryParse(remaining.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var left)
            && left <= 0)
        {
            return new UpstreamPause(reset.Value, "X-RateLimit-Remaining 0");
        }

        return null;
    }

    private static async Task<TimeSpan?> ReadBodyRetryAfterAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // Only a body of known small length is read: buffering keeps it intact for the client, and a known length
        // means buffering cannot fail half way and leave the client a truncated body.
        var content = response.Content;
        if (content.Headers.ContentLength is not (> 0 and <= MaxBodyToRead))
        {
            return null;
        }

        await content.LoadIntoBufferAsync(cancellationToken);
        var bytes = await content.ReadAsByteArrayAsync(cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return ReadSeconds(root, "retry_after")
                ?? (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                    ? ReadSeconds(error, "retry_after")
                    : null);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static TimeSpan? ReadSeconds(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            return null;
        }

        double seconds;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number))
        {
            seconds = number;
        }
        else if (value.ValueKind == JsonValueKind.String
                 && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
        {
            seconds = parsed;
        }
        else
        {
            return null;
        }

        return seconds is > 0 and < 86_400 ? TimeSpan.FromSeconds(seconds) : null;
    }

    private static TimeSpan? Max(TimeSpan? a, TimeSpan? b) =>
        a is null ? b : b is null ? a : a > b ? a : b;
}

/// <summary>How long SmartLead asked the whole key to rest, and which signal said so (for the log).</summary>
internal readonly record struct UpstreamPause(TimeSpan Delay, string Reason);
