namespace SmartLead.Gateway.Budget;

/// <summary>
/// The upstream budget: how fast the gateway lets requests go to SmartLead, all callers (and all replicas) together,
/// and how long callers may wait for their turn. Section <c>RateLimit</c>. SmartLead limits one key over all endpoints
/// (Standard: 10/s burst, 60/min, 1,000/h); <see cref="Plan"/> fills the bucket and the windows from those numbers
/// with the headroom SmartLead advises, and any limit set here replaces the plan's value for that limit only.
/// A permit is taken only when the token bucket and every window allow it at the same time.
/// </summary>
internal sealed class RateLimitOptions
{
    public const string SectionName = "RateLimit";

    /// <summary>Switches the budget off: every attempt goes at once, nothing is counted. Default <c>true</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Where the limits come from: <c>Standard</c> (default: bucket 8 per second, windows 8/s, 50/min, 850/h),
    /// <c>Pro</c> (bucket 16 per second, windows 16/s, 100/min, 2,550/h) or <c>Custom</c> (only what is set here;
    /// a bucket value left unset takes the Standard value). See <see cref="BudgetPlans"/>.
    /// </summary>
    public BudgetPlan Plan { get; set; } = BudgetPlan.Standard;

    /// <summary>Token bucket size, the largest burst. Unset (default): the plan's (Standard 8).</summary>
    public int? TokenLimit { get; set; }

    /// <summary>Tokens added every <see cref="ReplenishmentPeriod"/>, up to <see cref="TokenLimit"/>. Unset (default): the plan's (Standard 8).</summary>
    public int? TokensPerPeriod { get; set; }

    /// <summary>How often the bucket is refilled by <see cref="TokensPerPeriod"/>. Unset (default): the plan's (<c>00:00:01</c>).</summary>
    public TimeSpan? ReplenishmentPeriod { get; set; }

    /// <summary>
    /// Sliding windows enforced together with the bucket. Each is exact and errs on the safe side: a permit counts
    /// against a window from its grant until <see cref="RateLimitWindowOptions.Window"/> after its attempt was
    /// answered. A window listed here replaces the plan's window of the same length and adds one of any other
    /// length; with <c>Plan: Custom</c> only the windows listed here apply. Default: empty (the plan's windows).
    /// </summary>
    /// <remarks>
    /// The initializer stays empty on purpose: configuration lists merge by position across sources, so defaults
    /// written into a list (here or in appsettings.json) would be merged with, not replaced by, the configured windows.
    /// The plan's windows are therefore added in code, by length (<see cref="BudgetPlans.Resolve"/>).
    /// </remarks>
    public List<RateLimitWindowOptions> Windows { get; set; } = [];

    /// <summary>
    /// Most requests that may wait for a permit at once on one replica; the next one is refused with 429 at once.
    /// 0 means nobody waits. Default 200.
    /// </summary>
    public int QueueLimit { get; set; } = 200;

    /// <summary>
    /// Longest a request may wait for a permit. A request whose wait can be foreseen to be longer is refused at
    /// once with 429 and a <c>Retry-After</c> saying when it would have gone. Default <c>00:00:20</c>.
    /// </summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Where permits are counted: <c>Memory</c> (default; one replica) or <c>Redis</c> (every replica shares one
    /// budget in the Redis named by <c>ConnectionStrings:Redis</c>). Read at start; a change takes effect at restart.
    /// </summary>
    public BudgetStore Store { get; set; } = BudgetStore.Memory;

    /// <summary>
    /// How many replicas share the key, assumed while Redis is unreachable: each replica then serves on its own
    /// with every limit divided by this number (rounded down, at least 1). Default 2.
    /// </summary>
    public int ExpectedReplicas { get; set; } = 2;
}

/// <summary>One sliding window: at most <see cref="PermitLimit"/> permits in any <see cref="Window"/>.</summary>
internal sealed class RateLimitWindowOptions
{
    /// <summary>Permits allowed in any span of <see cref="Window"/>. Required, at least 1.</summary>
    public int PermitLimit { get; set; }

    /// <summary>Length of the window, <c>hh:mm:ss</c>. Required, more than zero, at most one day; one window per length.</summary>
    public TimeSpan Window { get; set; }
}

/// <summary>SmartLead's published tiers, or <see cref="Custom"/> for limits set one by one.</summary>
internal enum BudgetPlan
{
    Standard,
    Pro,
    Custom,
}

/// <summary>Where the permits of the budget are counted.</summary>
internal enum BudgetStore
{
    Memory,
    Redis,
}
