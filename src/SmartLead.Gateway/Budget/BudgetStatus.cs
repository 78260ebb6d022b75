namespace SmartLead.Gateway.Budget;

/// <summary>
/// What the budget looks like right now, for the status page, <c>/status.json</c>, <c>/readyz</c> and the
/// permits-available gauges. Taken in one go, so the numbers agree with each other.
/// </summary>
/// <param name="Enabled"><c>RateLimit:Enabled</c>.</param>
/// <param name="Plan">The plan the limits were filled from (<c>Standard</c>, <c>Pro</c>, <c>Custom</c>).</param>
/// <param name="Store">Where permits are counted: <c>Memory</c> or <c>Redis</c>.</param>
/// <param name="StoreReachable">False while a Redis store is away and the replica runs on its local share.</param>
/// <param name="Limits">The bucket and every window in force.</param>
/// <param name="QueueLength">Requests waiting for a permit on this replica.</param>
/// <param name="QueueLimit"><c>RateLimit:QueueLimit</c>.</param>
/// <param name="LongestWait">How long the oldest waiter has waited so far (zero when nobody waits).</param>
/// <param name="CooldownUntil">When the pause SmartLead asked for ends; null when not paused.</param>
/// <param name="CooldownReason">Why sending is paused (<c>429</c>, <c>remaining-0</c>, …); null when not paused.</param>
internal sealed record BudgetStatus(
    bool Enabled,
    string Plan,
    string Store,
    bool StoreReachable,
    IReadOnlyList<BudgetLimitStatus> Limits,
    int QueueLength,
    int QueueLimit,
    TimeSpan LongestWait,
    DateTimeOffset? CooldownUntil,
    string? CooldownReason)
{
    /// <summary>Requests waiting on this replica, by client (its share of the waiting room); empty when nobody waits.</summary>
    public IReadOnlyDictionary<string, int> QueueByClient { get; init; } = new Dictionary<string, int>();
}

/// <summary>One limit in force and its use.</summary>
/// <param name="Name">A stable, bounded label: <c>bucket</c>, or the window's length (<c>1s</c>, <c>1m</c>, <c>1h</c>).</param>
/// <param name="PermitLimit">Permits allowed (the bucket's size, or the window's limit).</param>
/// <param name="Period">The bucket's replenishment period, or the window's length.</param>
/// <param name="Available">Permits that could be granted now.</param>
/// <param name="Source">Where the value came from: <c>plan</c>, <c>setting</c> (set explicitly) or <c>default</c>.</param>
internal sealed record BudgetLimitStatus(string Name, int PermitLimit, TimeSpan Period, int Available, string Source);

/// <summary>Reads the budget's <see cref="BudgetStatus"/>; the budget registers it, the status page and metrics read it.</summary>
internal interface IBudgetStatusSource
{
    BudgetStatus GetStatus();
}
