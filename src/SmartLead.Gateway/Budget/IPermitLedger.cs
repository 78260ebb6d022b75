namespace SmartLead.Gateway.Budget;

/// <summary>
/// Where the budget's permits are counted: the token bucket, the sliding windows and SmartLead's cooldown. The
/// <see cref="WaitingRoom"/> asks it for one permit at a time for the head of its queue; the ledger never queues
/// or waits itself, so one waiting room works with either ledger (<see cref="MemoryPermitLedger"/> for one replica,
/// <see cref="RedisPermitLedger"/> for all replicas together). Ledgers never throw for a store that failed: they
/// answer from a local fallback instead.
/// </summary>
internal interface IPermitLedger : IDisposable
{
    /// <summary>
    /// A wake-up for the waiting room: a permit may have come free sooner than the ledger last said (an attempt
    /// ended, a permit was returned, the limits changed, the store came back). Raised outside any lock.
    /// </summary>
    event Action? PermitsMayBeFree;

    /// <summary>
    /// One permit now, if every limit allows it and no cooldown is on; otherwise when one may be (see
    /// <see cref="LedgerAnswer"/>). <paramref name="queue"/> says who asks: a shared ledger keeps the replicas' queues
    /// in one order (the longest waiting head first) and projects newcomers behind every replica's waiters.
    /// </summary>
    ValueTask<LedgerAnswer> TryTakeAsync(QueueState queue, CancellationToken cancellationToken);

    /// <summary>
    /// How long until a request arriving now would get its permit behind <paramref name="ahead"/> requests waiting
    /// here (and, for a shared ledger, those waiting on other replicas), assuming attempts in flight take their
    /// typical time: a cautious figure, to refuse at once a wait that cannot fit.
    /// </summary>
    ValueTask<TimeSpan> ProjectAsync(int ahead, CancellationToken cancellationToken);

    /// <summary>
    /// Stops every permit for <paramref name="delay"/> from now; a shorter pause never cuts a longer one short.
    /// Returns false when a pause at least as long was already on.
    /// </summary>
    bool Pause(TimeSpan delay, string reason);

    /// <summary>
    /// Puts new limits in force without forgetting what was spent; <paramref name="expectedReplicas"/> sizes a shared
    /// ledger's local share for when its store is away.
    /// </summary>
    void Apply(BudgetLimits limits, int expectedReplicas);

    /// <summary>What the ledger knows now, without waiting for a store.</summary>
    LedgerSnapshot Snapshot();
}

/// <summary>
/// A ledger's answer: a <see cref="Permit"/>, or none and <see cref="RetryIn"/>, the soonest one may be free (attempts
/// in flight assumed to end now, so never later than the truth: the waiting room's timer wakes then and asks
/// again), and <see cref="ProjectedIn"/>, the cautious figure of <see cref="IPermitLedger.ProjectAsync"/> for one more.
/// </summary>
internal readonly record struct LedgerAnswer(ILedgerPermit? Permit, TimeSpan RetryIn, TimeSpan ProjectedIn)
{
    public static LedgerAnswer Granted(ILedgerPermit permit) => new(permit, TimeSpan.Zero, TimeSpan.Zero);
}

/// <summary>
/// The asking replica's queue: how many wait (the asker included, 0 for a newcomer nobody waits before), how long
/// the asker has waited, and how long the one behind it has (zero when nobody is).
/// </summary>
internal readonly record struct QueueState(int Queued, TimeSpan HeadWaited, TimeSpan NextWaited)
{
    public static QueueState Newcomer => default;
}

/// <summary>One permit taken from a ledger.</summary>
internal interface ILedgerPermit
{
    /// <summary>The attempt is over (answered or failed): from now on the windows age it out.</summary>
    void Release();

    /// <summary>Nothing was sent with it (its caller left first): the permit is given back whole.</summary>
    void Return();
}

/// <summary>A ledger's state for the status page and the gauges.</summary>
/// <param name="Store"><c>Memory</c> or <c>Redis</c>.</param>
/// <param name="Reachable">False while a shared store is away and the local share is in force.</param>
/// <param name="Limits">The limits counted now (the local share while the store is away), with what is available.</param>
/// <param name="CooldownUntil">When SmartLead's pause ends; null when none is on.</param>
/// <param name="CooldownReason">The signal that started the pause.</param>
internal sealed record LedgerSnapshot(
    string Store,
    bool Reachable,
    BudgetLimits Limits,
    int BucketAvailable,
    IReadOnlyList<int> WindowsAvailable,
    DateTimeOffset? CooldownUntil,
    string? CooldownReason);
