namespace SmartLead.Sandbox.Limits;

/// <summary>
/// The outcome of one request against a key's windows, with what SmartLead tells the client about it:
/// the tightest window's limit, what is left in it, and when it frees up.
/// </summary>
internal readonly record struct RateLimitDecision(
    bool Allowed, int Limit, int Remaining, DateTimeOffset Reset, TimeSpan RetryAfter)
{
    /// <summary>No window is configured: nothing to enforce and nothing to report.</summary>
    public static RateLimitDecision Unlimited { get; } = new(true, 0, 0, default, TimeSpan.Zero);

    public bool IsUnlimited => Limit == 0;

    /// <summary>Whole seconds, rounded up and at least 1: a client told "0" would retry at once and be refused again.</summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds));
}
