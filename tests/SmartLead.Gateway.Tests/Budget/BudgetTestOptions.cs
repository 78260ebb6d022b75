using Microsoft.Extensions.Logging.Abstractions;
using SmartLead.Gateway.Budget;

namespace SmartLead.Gateway.Tests.Budget;

internal static class BudgetTestOptions
{
    /// <summary>A window so wide it never binds, for tests about the bucket alone.</summary>
    public static RateLimitWindowOptions Unbounded => new() { PermitLimit = 1_000_000, Window = TimeSpan.FromSeconds(1) };

    public static RateLimitOptions Create(
        int tokenLimit = 1,
        int tokensPerPeriod = 1,
        TimeSpan? period = null,
        int queueLimit = 100,
        TimeSpan? maxQueueWait = null,
        params RateLimitWindowOptions[] windows) => new()
        {
            // Custom: exactly the limits given here, no plan windows besides them.
            Plan = BudgetPlan.Custom,
            TokenLimit = tokenLimit,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = period ?? TimeSpan.FromSeconds(1),
            QueueLimit = queueLimit,
            MaxQueueWait = maxQueueWait ?? TimeSpan.FromMinutes(1),
            Windows = windows.Length > 0 ? [.. windows] : [Unbounded],
        };

    public static RateLimitWindowOptions Window(int permitLimit, TimeSpan window) =>
        new() { PermitLimit = permitLimit, Window = window };

    /// <summary>Takes a permit if one is free now and ends the "attempt" at once, as a quick upstream call would.</summary>
    public static bool Take(this UpstreamBudget budget)
    {
        using var lease = budget.AttemptAcquire();
        return lease.IsAcquired;
    }

    public static UpstreamBudget NewBudget(RateLimitOptions options, TimeProvider time) =>
        new(options, time, NullLogger<UpstreamBudget>.Instance);
}
