using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace SmartLead.Sandbox.Limits;

/// <summary>
/// SmartLead's per-key limits as sliding windows over a log of admitted requests.
/// </summary>
/// <remarks>
/// Hand-written rather than built on System.Threading.RateLimiting because the sandbox has to report, per request,
/// the remaining count and the exact reset instant of the tightest window (the <c>X-RateLimit-*</c> headers), and
/// has to run on an injected <see cref="TimeProvider"/>; the framework limiters expose neither. A sliding log is the
/// strictest reading of "60 per minute": a gateway that stays inside it stays inside any fixed-window reading too.
/// Refused requests are not logged, so a client hammering a full window does not push its own reset further away.
/// </remarks>
internal sealed class KeyRateLimiter
{
    private readonly TimeProvider _timeProvider;
    private readonly (int Limit, TimeSpan Window)[] _windows;
    private readonly long _longestWindowTicks;
    private readonly ConcurrentDictionary<string, List<long>> _logs = new(StringComparer.Ordinal);

    public KeyRateLimiter(IOptions<SandboxOptions> options, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        var o = options.Value;
        _windows = !o.RateLimitEnabled
            ? []
            : new[]
                {
                    (o.PerSecond, TimeSpan.FromSeconds(1)),
                    (o.PerMinute, TimeSpan.FromMinutes(1)),
                    (o.PerHour, TimeSpan.FromHours(1)),
                }
                .Where(w => w.Item1 > 0)
                .ToArray();
        _longestWindowTicks = _windows.Length == 0 ? 0 : _windows.Max(w => w.Window.Ticks);
    }

    public RateLimitDecision TryAcquire(string apiKey)
    {
        if (_windows.Length == 0)
        {
            return RateLimitDecision.Unlimited;
        }

        var log = _logs.GetOrAdd(apiKey, static _ => []);
        lock (log)
        {
            var now = _timeProvider.GetUtcNow();
            var nowTicks = now.UtcTicks;
            var expired = FirstIndexAfter(log, nowTicks - _longestWindowTicks);
            log.RemoveRange(0, expired);

            // Refuse if any window is full; the client may retry once the last full window to free up has done so.
            var refused = false;
            var wait = TimeSpan.Zero;
            var bindingLimit = 0;
            foreach (var (limit, window) in _windows)
            {
                var start = FirstIndexAfter(log, nowTicks - window.Ticks);
                var count = log.Count - start;
                if (count < limit)
                {
                    continue;
                }

                // Entries leave the window from the front: one permit is free once the entry at Count - limit has left.
                var freesAt = new TimeSpan(log[log.Count - limit] + window.Ticks - nowTicks);
                if (!refused || freesAt > wait)
                {
                    wait = freesAt;
                    bindingLimit = limit;
                }

                refused = true;
            }

            if (refused)
            {
                return new RateLimitDecision(false, bindingLimit, 0, now + wait, wait);
            }

            log.Add(nowTicks);
            return Report(log, now);
        }
    }

    /// <summary>The window with the fewest requests left is the one a client has to pace itself by.</summary>
    private RateLimitDecision Report(List<long> log, DateTimeOffset now)
    {
        var best = default(RateLimitDecision);
        var bestRemaining = int.MaxValue;
        foreach (var (limit, window) in _windows)
        {
            var start = FirstIndexAfter(log, now.UtcTicks - window.Ticks);
            var remaining = limit - (log.Count - start);
            if (remaining > bestRemaining)
            {
                continue;
            }

            // On a tie the longer window wins: its reset is the later, honest one.
            bestRemaining = remaining;
            var reset = new DateTimeOffset(log[start] + window.Ticks, TimeSpan.Zero);
            best = new RateLimitDecision(true, limit, remaining, reset, TimeSpan.Zero);
        }

        return best;
    }

    /// <summary>Index of the first entry strictly after <paramref name="threshold"/> (the log is in time order).</summary>
    private static int FirstIndexAfter(List<long> log, long threshold)
    {
        int lo = 0, hi = log.Count;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (log[mid] <= threshold)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
