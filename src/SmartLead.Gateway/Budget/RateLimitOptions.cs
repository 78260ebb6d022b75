namespace SmartLead.Gateway.Budget;

/// <summary>
/// The upstream budget: how fast the gateway lets requests go to SmartLead, all callers together, and how long
/// callers may wait for their turn. Section <c>RateLimit</c>. SmartLead limits one key over all endpoints
/// (Standard: 10/s burst, 60/min, 1,000/h); the defaults keep about 80–85% of that, as SmartLead advises.
/// A permit is taken only when the token bucket and every window allow it at the same time.
/// </summary>
internal sealed class RateLimitOptions
{
    public const string SectionName = "RateLimit";

    /// <summary>Switches the budget off: every attempt goes at once, nothing is counted. Default <c>true</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Token bucket size: the largest burst. Default 8 (Standard tier's 10/s burst, with headroom).</summary>
    public int TokenLimit { get; set; } = 8;

    /// <summary>Tokens added every <see cref="ReplenishmentPeriod"/>, up to <see cref="TokenLimit"/>. Default 8.</summary>
    public int TokensPerPeriod { get; set; } = 8;

    /// <summary>How often the bucket is refilled by <see cref="TokensPerPeriod"/>. Default <c>00:00:01</c>.</summary>
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Sliding windows enforced together with the bucket (SmartLead's per-minute and per-hour limits). Each is
    /// exact and errs on the safe side: a permit counts against a window from its grant until
    /// <see cref="RateLimitWindowOptions.Window"/> after its attempt was answered. Default, used whenever the list
    /// is empty: 8 per <c>00:00:01</c>, 50 per <c>00:01:00</c> and 850 per <c>01:00:00</c>. The per-second window
    /// is there because a bucket alone lets up to <see cref="TokenLimit"/> + <see cref="TokensPerPeriod"/> through
    /// within one period (a full bucket spent just before a refill, then the refill), more than SmartLead's 10/s.
    /// </summary>
    /// <remarks>
    /// The initializer stays empty on purpose: the configuration binder appends bound items to an initialised list,
    /// so defaults written here would be merged with, not replaced by, the configured windows.
    /// </remarks>
    public List<RateLimitWindowOptions> Windows { get; set; } = [];

    /// <summary>
    /// Most requests that may wait for a permit at once; the next one is refused with 429 at once.
    /// 0 means nobody waits. Default 200.
    /// </summary>
    public int QueueLimit { get; set; } = 200;

    /// <summary>
    /// Longest a request may wait for a permit. A request whose wait can be foreseen to be longer is refused at
    /// once with 429 and a <c>Retry-After</c> saying when it would have gone. Default <c>00:00:20</c>.
    /// </summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The windows in force: the configured ones, or the defaults when none are configured.</summary>
    public IReadOnlyList<RateLimitWindowOptions> EffectiveWindows => Windows.Count > 0
        ? Windows
        :
        [
            new() { PermitLimit = 8, Window = TimeSpan.FromSeconds(1) },
            new() { PermitLimit = 50, Window = TimeSpan.FromMinutes(1) },
            new() { PermitLimit = 850, Window = TimeSpan.FromHours(1) },
        ];
}

/// <summary>One sliding window: at most <see cref="PermitLimit"/> permits in any <see cref="Window"/>.</summary>
internal sealed class RateLimitWindowOptions
{
    /// <summary>Permits allowed in any span of <see cref="Window"/>. Required, at least 1.</summary>
    public int PermitLimit { get; set; }

    /// <summary>Length of the window, <c>hh:mm:ss</c>. Required, more than zero, at most one day.</summary>
    public TimeSpan Window { get; set; }
}
