using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace SmartLead.Gateway.Clients;

/// <summary>
/// How long a caller says it will wait for its turn at the budget: <c>Prefer: wait=N</c> (RFC 7240, whole seconds)
/// or <c>X-Gateway-Max-Wait: N</c> (seconds, fractions allowed). The budget caps it at <c>RateLimit:MaxQueueWait</c>,
/// so a caller can only ask for less, never for more.
/// </summary>
internal static class CallerWait
{
    public const string MaxWaitHeader = "X-Gateway-Max-Wait";

    /// <summary>Longest wait a header may name; a larger number is read as this, and then capped by the budget anyway.</summary>
    private static readonly TimeSpan Longest = TimeSpan.FromDays(1);

    /// <summary>The wait the request asks for, or null when it names none (or names one that does not parse).</summary>
    /// <remarks>When both headers are there, the shorter wait stands: the caller will not wait longer than either says.</remarks>
    public static TimeSpan? From(IHeaderDictionary headers)
    {
        var fromGateway = ParseSeconds(headers[MaxWaitHeader], allowFraction: true);
        var fromPrefer = FromPrefer(headers["Prefer"]);
        return (fromGateway, fromPrefer) switch
        {
            ({ } a, { } b) => a < b ? a : b,
            ({ } a, null) => a,
            (null, var b) => b,
        };
    }

    /// <summary>The <c>wait</c> preference of RFC 7240: <c>Prefer: respond-async, wait=10</c>; the first one counts.</summary>
    internal static TimeSpan? FromPrefer(StringValues values)
    {
        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                // A preference may carry parameters after ';' (RFC 7240 section 2); wait takes none.
                var token = part.AsSpan();
                var semicolon = token.IndexOf(';');
                if (semicolon >= 0)
                {
                    token = token[..semicolon].TrimEnd();
                }

                var equals = token.IndexOf('=');
                if (equals < 0 || !token[..equals].Trim().Equals("wait", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var number = token[(equals + 1)..].Trim().Trim('"');
                return Seconds(number, allowFraction: false);
            }
        }

        return null;
    }

    private static TimeSpan? ParseSeconds(StringValues values, bool allowFraction) =>
        values.Count == 1 && values[0] is { } value ? Seconds(value.AsSpan().Trim(), allowFraction) : null;

    private static TimeSpan? Seconds(ReadOnlySpan<char> number, bool allowFraction)
    {
        var style = allowFraction ? NumberStyles.AllowDecimalPoint : NumberStyles.None;
        if (number.IsEmpty || !decimal.TryParse(number, style, CultureInfo.InvariantCulture, out var seconds))
        {
            return null;
        }

        return seconds >= (decimal)Longest.TotalSeconds ? Longest : TimeSpan.FromMilliseconds((double)(seconds * 1000m));
    }
}
