using System.Threading.RateLimiting;

namespace SmartLead.Gateway.Budget;

/// <summary>
/// A granted lease holds its ledger permit until disposed: dispose it when the upstream attempt is over (the
/// windows count a permit until one window after that, see <see cref="PermitLimits"/>). A refused lease carries
/// <see cref="MetadataName.RetryAfter"/>.
/// </summary>
internal sealed class BudgetLease : RateLimitLease
{
    /// <summary>Granted with nothing to give back (budget off).</summary>
    public static readonly BudgetLease Unlimited = new(true, null, null);

    private readonly TimeSpan? _retryAfter;
    private ILedgerPermit? _permit;

    public BudgetLease(ILedgerPermit permit)
        : this(true, null, permit)
    {
    }

    private BudgetLease(bool isAcquired, TimeSpan? retryAfter, ILedgerPermit? permit)
    {
        IsAcquired = isAcquired;
        _retryAfter = retryAfter;
        _permit = permit;
    }

    public override bool IsAcquired { get; }

    public override IEnumerable<string> MetadataNames =>
        _retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

    /// <summary>A refusal; the wait is rounded up to a whole millisecond so it never says "retry now".</summary>
    public static BudgetLease Refused(TimeSpan? retryAfter) =>
        new(false, retryAfter is { } wait ? TimeSpan.FromTicks(Math.Max(wait.Ticks, TimeSpan.TicksPerMillisecond)) : null, null);

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (_retryAfter is { } retryAfter && metadataName == MetadataName.RetryAfter.Name)
        {
            metadata = retryAfter;
            return true;
        }

        metadata = null;
        return false;
    }

    /// <summary>
    /// Nothing was sent with this lease (its caller left after the grant, or the request was refused before it was
    /// sent): the permit goes back whole.
    /// </summary>
    public void Return() => Interlocked.Exchange(ref _permit, null)?.Return();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Interlocked.Exchange(ref _permit, null)?.Release();
        }
    }
}
