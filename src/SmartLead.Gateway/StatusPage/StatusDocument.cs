namespace SmartLead.Gateway.StatusPage;

/// <summary>
/// <c>/status.json</c>: everything the status page shows, in one document taken at one moment. The README documents
/// each field; names are part of the product (ops script against them). Nothing here carries a key, an email, a path
/// or a query: only numbers, fixed words, label values from <see cref="Telemetry.GatewayMetrics"/>'s closed sets and
/// the key's fingerprint.
/// </summary>
internal sealed record StatusDocument(
    string Version,
    DateTimeOffset GeneratedAt,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    int RefreshSeconds,
    StatusBudget? Budget,
    StatusBreaker Breaker,
    StatusUpstream Upstream,
    IReadOnlyDictionary<string, long> LeadRejections,
    StatusKey Key,
    StatusHistory History,
    IReadOnlyList<StatusClient> Clients);

/// <summary>One client: the budget it spent over the last hour and its share of the waiting room now.</summary>
/// <param name="Name">The configured name, or <c>anonymous</c> on an open gateway.</param>
/// <param name="PermitsLastHour">Permits its attempts were granted over the last hour.</param>
/// <param name="Waiting">Its requests waiting for a permit now, on this replica.</param>
/// <param name="QueueShare">Its part of everyone waiting (0–1; 0 when nobody waits).</param>
internal sealed record StatusClient(string Name, long PermitsLastHour, int Waiting, double QueueShare);

/// <summary>The budget in force and its use; null in the document when no budget is registered.</summary>
internal sealed record StatusBudget(
    bool Enabled,
    string Plan,
    string Store,
    bool StoreReachable,
    IReadOnlyList<StatusLimit> Limits,
    StatusQueue Queue,
    StatusCooldown Cooldown,
    IReadOnlyDictionary<string, long> Rejections,
    long PermitsGranted,
    long Waited,
    double LongestWaitSeconds);

internal sealed record StatusLimit(string Name, int PermitLimit, double PeriodSeconds, int Available, int Used, string Source);

internal sealed record StatusQueue(int Length, int Limit, double LongestWaitSeconds);

internal sealed record StatusCooldown(bool Active, DateTimeOffset? Until, double RemainingSeconds, string? Reason, long Count, DateTimeOffset? LastAt);

/// <param name="State"><c>closed</c>, <c>half-open</c>, <c>open</c>, <c>isolated</c>, or <c>none</c> without a breaker.</param>
/// <param name="Value">The <c>smartlead_gateway_circuit_state</c> gauge's value: 0 closed, 1 half-open, 2 open, 3 isolated.</param>
internal sealed record StatusBreaker(string State, int Value);

internal sealed record StatusUpstream(long Attempts, IReadOnlyDictionary<string, long> Statuses, long Retries, IReadOnlyDictionary<string, long> RetryReasons);

internal sealed record StatusKey(bool Loaded, string? Fingerprint, long Rotations, DateTimeOffset? LastRotatedAt);

internal sealed record StatusHistory(int BucketSeconds, IReadOnlyList<StatusHistoryBucket> Buckets);
