using System.Globalization;

namespace SmartLead.Gateway.Budget;

/// <summary>
/// SmartLead's published limits with the headroom SmartLead advises (about 80–85%), and how a plan and explicit
/// settings make the limits in force: every value set explicitly replaces the plan's value for that limit only.
/// </summary>
/// <remarks>
/// Shares of SmartLead's numbers: 80% of the per-second burst, 5/6 of the per-minute limit (SmartLead's own
/// "50 of 60"), 85% of the hourly limit. Standard 10/s, 60/min, 1,000/h gives 8, 50, 850; Pro 20/s, 120/min,
/// 3,000/h gives 16, 100, 2,550.
/// </remarks>
internal static class BudgetPlans
{
    public const string FromPlan = "plan";
    public const string FromSetting = "setting";
    public const string FromDefault = "default";

    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    public static BudgetLimits Resolve(RateLimitOptions options)
    {
        var (perSecond, perMinute, perHour) = options.Plan switch
        {
            BudgetPlan.Pro => (16, 100, 2550),
            _ => (8, 50, 850),
        };

        // Custom has no plan: what is left unset falls back to the Standard values, marked as defaults.
        var unsetSource = options.Plan == BudgetPlan.Custom ? FromDefault : FromPlan;
        var bucketSet = options.TokenLimit is not null || options.TokensPerPeriod is not null || options.ReplenishmentPeriod is not null;
        var bucket = new BucketLimit(
            options.TokenLimit ?? perSecond,
            options.TokensPerPeriod ?? perSecond,
            options.ReplenishmentPeriod ?? Second,
            bucketSet ? FromSetting : unsetSource);

        var windows = new SortedDictionary<TimeSpan, WindowLimit>();
        if (options.Plan != BudgetPlan.Custom)
        {
            windows[Second] = new WindowLimit(perSecond, Second, FromPlan);
            windows[TimeSpan.FromMinutes(1)] = new WindowLimit(perMinute, TimeSpan.FromMinutes(1), FromPlan);
            windows[TimeSpan.FromHours(1)] = new WindowLimit(perHour, TimeSpan.FromHours(1), FromPlan);
        }

        foreach (var window in options.Windows)
        {
            windows[window.Window] = new WindowLimit(window.PermitLimit, window.Window, FromSetting);
        }

        return new BudgetLimits(options.Plan, bucket, [.. windows.Values]);
    }

    /// <summary>
    /// Settings that cannot have any effect because another limit is at least as tight over every span. A window
    /// of M per Q covers a window of N per P when Q ≥ P and M ≤ N (at most M in any span of Q means at most M in
    /// any span of P). It covers the bucket when Q ≥ the bucket's period and M ≤ both its size and its refill (the
    /// bucket then always holds a token when the window allows one). The bucket covers a window of N per P when
    /// the most it can let through within P (a full bucket plus every refill that falls within P) is at most N.
    /// Only explicit settings are reported; the plan's own overlaps are deliberate.
    /// </summary>
    public static IReadOnlyList<(string Covered, string By)> CoveredSettings(BudgetLimits limits)
    {
        var bucket = limits.Bucket;
        var covered = new List<(string, string)>();
        if (bucket.Source == FromSetting
            && limits.Windows.FirstOrDefault(w => w.Window >= bucket.Period && w.PermitLimit <= Math.Min(bucket.TokenLimit, bucket.TokensPerPeriod))
                is { PermitLimit: > 0 } tighter)
        {
            covered.Add((Describe(bucket), Describe(tighter)));
        }

        foreach (var window in limits.Windows.Where(w => w.Source == FromSetting))
        {
            var refills = (window.Window.Ticks + bucket.Period.Ticks - 1) / bucket.Period.Ticks;
            if (bucket.TokenLimit + (bucket.TokensPerPeriod * refills) <= window.PermitLimit)
            {
                covered.Add((Describe(window), Describe(bucket)));
            }
            else if (limits.Windows.FirstOrDefault(w => w.Window > window.Window && w.PermitLimit <= window.PermitLimit)
                     is { PermitLimit: > 0 } longer)
            {
                covered.Add((Describe(window), Describe(longer)));
            }
        }

        return covered;
    }

    /// <summary>A window's stable label: <c>1s</c>, <c>1m</c>, <c>1h</c>, <c>90s</c>, <c>500ms</c>.</summary>
    public static string WindowName(TimeSpan window) =>
        window.Ticks % TimeSpan.TicksPerHour == 0 ? string.Create(CultureInfo.InvariantCulture, $"{window.Ticks / TimeSpan.TicksPerHour}h")
        : window.Ticks % TimeSpan.TicksPerMinute == 0 ? string.Create(CultureInfo.InvariantCulture, $"{window.Ticks / TimeSpan.TicksPerMinute}m")
        : window.Ticks % TimeSpan.TicksPerSecond == 0 ? string.Create(CultureInfo.InvariantCulture, $"{window.Ticks / TimeSpan.TicksPerSecond}s")
        : string.Create(CultureInfo.InvariantCulture, $"{window.TotalMilliseconds:0.###}ms");

    private static string Describe(BucketLimit bucket) =>
        string.Create(CultureInfo.InvariantCulture, $"the bucket of {bucket.TokenLimit} (+{bucket.TokensPerPeriod} per {bucket.Period}, {bucket.Source})");

    private static string Describe(WindowLimit window) =>
        string.Create(CultureInfo.InvariantCulture, $"the window of {window.PermitLimit} per {window.Window} ({window.Source})");
}

/// <summary>The limits in force, resolved from a plan and the settings.</summary>
internal sealed record BudgetLimits(BudgetPlan Plan, BucketLimit Bucket, IReadOnlyList<WindowLimit> Windows)
{
    /// <summary>
    /// This replica's share while the shared store is away: every limit divided by <paramref name="replicas"/>,
    /// rounded down (never up: N replicas together must stay inside the one budget), at least 1.
    /// </summary>
    public BudgetLimits Share(int replicas) => replicas <= 1
        ? this
        : this with
        {
            Bucket = Bucket with
            {
                TokenLimit = Math.Max(1, Bucket.TokenLimit / replicas),
                TokensPerPeriod = Math.Max(1, Bucket.TokensPerPeriod / replicas),
            },
            Windows = [.. Windows.Select(w => w with { PermitLimit = Math.Max(1, w.PermitLimit / replicas) })],
        };

    /// <summary>Every limit in one line, for the start and reload log event.</summary>
    public string Describe() =>
        string.Join(", ", new[]
            {
                string.Create(CultureInfo.InvariantCulture,
                    $"bucket {Bucket.TokenLimit} (+{Bucket.TokensPerPeriod} per {Bucket.Period}, {Bucket.Source})"),
            }
            .Concat(Windows.Select(w => string.Create(CultureInfo.InvariantCulture, $"{w.Name} {w.PermitLimit} per {w.Window} ({w.Source})"))));
}

/// <summary>The token bucket in force; <see cref="Source"/> is <c>plan</c>, <c>setting</c> or <c>default</c>.</summary>
internal readonly record struct BucketLimit(int TokenLimit, int TokensPerPeriod, TimeSpan Period, string Source);

/// <summary>One sliding window in force.</summary>
internal readonly record struct WindowLimit(int PermitLimit, TimeSpan Window, string Source)
{
    public string Name => BudgetPlans.WindowName(Window);
}
